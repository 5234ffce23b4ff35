// Each request's logger (`request.log`), made when something is logged (issue 15, fast reads). Fastify gives
// every request a pino child carrying its id, and pino serializes a child's bindings when it is made: with 20
// readers polling a page on a hub that logs at warn, that was as much of a 304 read's JavaScript as parsing
// its path (CPU profile: ~130 ms of samples over 4,000 reads), for a logger nothing was written to. A line
// logged through this one is the child's line, with the request id, as before.
import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Pino = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

/** Fastify's childLoggerFactory: the child, made on the first line at an enabled level (or first other use). */
export function lazyChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  // A level or serializers of its own (a route's logLevel): what is enabled is the child's to say.
  if (options.level !== undefined || options.serializers !== undefined || !isPino(parent))
    return parent.child(bindings, options);
  return new LazyChild(parent, bindings, options);
}

function isPino(logger: FastifyBaseLogger): logger is Pino {
  return typeof (logger as Partial<Pino>).isLevelEnabled === 'function';
}

class LazyChild implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: Pino,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  private write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    const logger = this.real();
    Reflect.apply(logger[level], logger, args);
  }

  get level(): string {
    return (this.made ?? this.parent).level;
  }
  set level(level: string) {
    this.real().level = level;
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
  isLevelEnabled(level: string): boolean {
    return ((this.made ?? this.parent) as Pino).isLevelEnabled(level);
  }
}
