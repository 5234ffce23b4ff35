// request.log made on first use (lazy-logger.ts): nothing is made for a line below the level, and a line that
// is logged is the child's, request id included.
import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { lazyChildLogger } from './lazy-logger.js';

/** A pino logger at `level` (Fastify's own, as the hub's) whose lines land in `lines`. */
function pinoAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const app = Fastify({
    logger: {
      level,
      stream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    },
  });
  return { parent: app.log, lines };
}

describe('lazyChildLogger', () => {
  it('makes no child for lines below the level, and the child once for lines at it, with its bindings', () => {
    const { parent, lines } = pinoAt('warn');
    const child = vi.spyOn(parent, 'child');
    const log = lazyChildLogger(parent, { reqId: 'r1' }, {});
    log.info({ req: 'x' }, 'incoming request');
    log.debug('nothing');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    expect(log.level).toBe('warn');
    log.warn({ a: 1 }, 'first');
    log.error('second %s', 'line');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toMatchObject([
      { level: 40, reqId: 'r1', a: 1, msg: 'first' },
      { level: 50, reqId: 'r1', msg: 'second line' },
    ]);
    log.child({ step: 2 }).warn('nested');
    expect(lines.at(-1)).toMatchObject({ reqId: 'r1', step: 2, msg: 'nested' });
  });

  it('follows a level set on it, and hands a route with a level of its own a real child at once', () => {
    const { parent, lines } = pinoAt('warn');
    const log = lazyChildLogger(parent, { reqId: 'r2' }, {});
    log.level = 'info';
    log.info('now shown');
    expect(lines).toMatchObject([{ reqId: 'r2', msg: 'now shown' }]);
    expect(parent.level).toBe('warn');
    const child = vi.spyOn(parent, 'child');
    const own = lazyChildLogger(parent, { reqId: 'r3' }, { level: 'debug' });
    expect(child).toHaveBeenCalledTimes(1);
    own.debug('debug line');
    expect(lines.at(-1)).toMatchObject({ reqId: 'r3', msg: 'debug line' });
  });
});
