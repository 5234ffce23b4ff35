// Programs the engine runs (helm template), started off the hub's event loop (issue 15, "Linear cost"). A spawn
// forks the calling process: from a hub of a few hundred MiB that blocked its event loop ~38 ms per render
// (7.7 s over a 200-pack install) while watch events waited. Here a small long-lived Node process
// (spawner-child.ts) does the forking, and a bounded pool with a queue says how many programs run at once: the
// hub only writes a request to a pipe and reads the answer. Started on first use, once; restarted if it dies.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_MEMORY_LIMIT_MIB, ranOutOfMemory, withMemoryLimit, type Wrappers } from './memory-limit.js';

export interface SpawnRequest {
  readonly id: number;
  /** The wrapper that sets the memory limit and execs the program (memory-limit.ts). */
  readonly file: string;
  readonly args: readonly string[];
  /** Written to the program's stdin, which is then closed. */
  readonly input: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly maxBuffer: number;
  /** The program is killed when its resident memory passes this (spawner-child.ts), MiB. */
  readonly memoryLimitMib: number;
}

export interface SpawnReply {
  readonly id: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The spawner killed the program: its resident memory passed the limit. */
  readonly memoryExceeded?: boolean;
  /** How execFile failed: ENOENT (no such program), an exit code, or killed by the timeout. */
  readonly error?: {
    readonly message: string;
    readonly code?: string | number;
    readonly killed?: boolean;
    readonly signal?: string;
  };
}

export interface RunOptions {
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly maxBuffer?: number;
  /** The bound on the program's memory (RLIMIT_DATA, memory-limit.ts), MiB; default 1024. */
  readonly memoryLimitMib?: number;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A failed run: execFile's error as the spawner saw it (`code` is ENOENT or the exit code). `memoryLimitMib` is
 * set when the program ran out of the memory it was allowed.
 */
export class SpawnError extends Error {
  readonly code: string | number | undefined;
  readonly killed: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly memoryLimitMib: number | undefined;
  constructor(
    reply: SpawnReply & { error: NonNullable<SpawnReply['error']> },
    options: { memoryLimitMib?: number } = {},
  ) {
    super(reply.error.message);
    this.name = 'SpawnError';
    this.code = reply.error.code;
    this.killed = reply.error.killed ?? false;
    this.stdout = reply.stdout;
    this.stderr = reply.stderr;
    this.memoryLimitMib = options.memoryLimitMib;
  }
}

/** How many programs run at once by default: helm renders are CPU-bound, and the machine has other work. */
export const DEFAULT_SPAWN_CONCURRENCY = 4;

interface Waiting {
  readonly request: Omit<SpawnRequest, 'id'>;
  /** The program itself (the request's file is the wrapper), and its limit. */
  readonly program: string;
  readonly memoryLimitMib: number;
  readonly resolve: (result: RunResult) => void;
  readonly reject: (error: Error) => void;
}

export class Spawner {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly running = new Map<number, Waiting>();
  private readonly queue: Waiting[] = [];

  /** `wrappers`: for tests, which memory-limit wrappers this machine has (default: looked up once). */
  constructor(
    private readonly concurrency = DEFAULT_SPAWN_CONCURRENCY,
    private readonly wrappers?: Wrappers,
  ) {}

  /**
   * Runs `file` with `args` in the spawner's process, under a memory limit (memory-limit.ts); rejects with a
   * SpawnError when it fails.
   */
  run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const memoryLimitMib = options.memoryLimitMib ?? DEFAULT_MEMORY_LIMIT_MIB;
      // Throws, and nothing starts, where no wrapper can set the limit.
      const bounded = withMemoryLimit(file, args, memoryLimitMib, this.wrappers);
      this.queue.push({
        request: {
          file: bounded.file,
          args: bounded.args,
          input: options.input ?? '',
          env: options.env ?? process.env,
          timeoutMs: options.timeoutMs ?? 120_000,
          maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
          memoryLimitMib,
        },
        program: file,
        memoryLimitMib,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  /** Programs started and not answered yet, and requests waiting for a place. */
  get pending(): { readonly running: number; readonly queued: number } {
    return { running: this.running.size, queued: this.queue.length };
  }

  /** Ends the spawner's process; what is running or queued fails. */
  close(): void {
    const child = this.child;
    this.child = undefined;
    if (child?.connected) child.disconnect();
    this.failAll(new Error('the spawner was closed'));
  }

  private pump(): void {
    while (this.running.size < this.concurrency) {
      const next = this.queue.shift();
      if (!next) return;
      const id = this.nextId++;
      this.running.set(id, next);
      const request: SpawnRequest = { id, ...next.request };
      try {
        const child = this.process();
        child.send(request);
        child.channel?.ref();
      } catch (error) {
        this.running.delete(id);
        next.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  private process(): ChildProcess {
    if (this.child?.connected) return this.child;
    const { file, execArgv } = childEntry();
    const child = fork(fileURLToPath(file), [], {
      execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    // The hub may exit while the spawner idles; the channel closing ends the spawner (spawner-child.ts).
    child.unref();
    child.channel?.unref();
    child.on('message', (reply) => {
      this.answer(reply as SpawnReply);
    });
    const lost = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.failAll(new Error(`the spawner process ${why} before answering`));
    };
    child.on('exit', (code, signal) => {
      lost(`exited (${signal ?? `code ${String(code)}`})`);
    });
    child.on('error', (error) => {
      lost(`failed: ${error.message}`);
    });
    this.child = child;
    return child;
  }

  private answer(reply: SpawnReply): void {
    const waiting = this.running.get(reply.id);
    if (!waiting) return;
    this.running.delete(reply.id);
    const { error } = reply;
    if (error) waiting.reject(spawnError(waiting, { ...reply, error }));
    else waiting.resolve({ stdout: reply.stdout, stderr: reply.stderr });
    // Referenced only while there is work: an idle spawner does not keep the hub alive.
    if (this.running.size === 0) this.child?.channel?.unref();
    this.pump();
  }

  private failAll(error: Error): void {
    const all = [...this.running.values(), ...this.queue.splice(0)];
    this.running.clear();
    for (const waiting of all) waiting.reject(error);
  }
}

/**
 * execFile's error for the program itself, not its wrapper: the wrapper cannot exec a missing program (prlimit
 * and sh exit 127), which is ENOENT as an unwrapped execFile reported it; a program that ran out of memory says
 * so with its limit.
 */
function spawnError(
  waiting: Waiting,
  reply: SpawnReply & { error: NonNullable<SpawnReply['error']> },
): SpawnError {
  if (reply.error.code === 127 && !existsSync(waiting.program))
    return new SpawnError({ ...reply, error: { ...reply.error, code: 'ENOENT' } });
  if (reply.memoryExceeded === true || ranOutOfMemory(reply.stderr, reply.error.code))
    return new SpawnError(reply, { memoryLimitMib: waiting.memoryLimitMib });
  return new SpawnError(reply);
}

/**
 * The compiled child next to this module (dist/), or, when running from the TypeScript sources (tsx, tests),
 * the .ts file with tsx's loader (as upload-checker.ts does for its worker).
 */
function childEntry(): { file: URL; execArgv: string[] } {
  const js = new URL('./spawner-child.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { file: js, execArgv: [] };
  const loader = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
  return {
    file: new URL('./spawner-child.ts', import.meta.url),
    execArgv: ['--import', pathToFileURL(loader).href],
  };
}

/** The process-wide spawner every runner shares (one small process for the whole hub). */
let shared: Spawner | undefined;
export function sharedSpawner(): Spawner {
  return (shared ??= new Spawner());
}
