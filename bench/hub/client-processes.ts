// SSE clients in other processes (bench/hub/sse-clients.ts), for the fan-out figures of bench/sse-fanout.bench.ts
// and bench/hub-scale.bench.ts: the clients' parsing is not charged to the hub's event loop, nor to the bench's.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../hub-process.js';

/**
 * `count` streams of `cluster`'s events spread over `procs` processes; resolves once every stream is live. Each
 * process started is pushed onto `children` too, so the bench can kill them all when interrupted.
 */
export async function startClientProcesses(
  hub: { readonly url: string; readonly token: string },
  options: {
    readonly cluster: string;
    readonly count: number;
    readonly procs: number;
    readonly children: ChildProcess[];
  },
) {
  const { cluster, count, procs, children } = options;
  const share = Math.ceil(count / procs);
  const list: ChildProcess[] = [];
  const lives: Promise<void>[] = [];
  for (let p = 0; p < procs && p * share < count; p++) {
    const n = Math.min(share, count - p * share);
    const script = join(repoRoot, 'bench', 'hub', 'sse-clients.ts');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', script, hub.url, hub.token, cluster, String(n)],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    children.push(child);
    list.push(child);
    lives.push(
      new Promise((resolve, reject) => {
        child.once('message', () => {
          resolve();
        });
        child.once('exit', (code) => {
          reject(
            new Error(
              `SSE client process ${String(p)} exited with ${String(code)} before its streams were live`,
            ),
          );
        });
      }),
    );
  }
  await Promise.all(lives);
  const ask = <T>(child: ChildProcess, message: object, type: string): Promise<T> =>
    new Promise((resolve) => {
      const on = (reply: { type: string }) => {
        if (reply.type !== type) return;
        child.off('message', on);
        resolve(reply as T);
      };
      child.on('message', on);
      child.send(message);
    });
  /** How many streams of all processes got each id. */
  const counts = async (ids: readonly number[]): Promise<number[]> => {
    const replies = await Promise.all(
      list.map((c) => ask<{ counts: number[] }>(c, { type: 'count', ids }, 'count')),
    );
    return ids.map((_, i) => replies.reduce((sum, r) => sum + (r.counts[i] ?? 0), 0));
  };
  return {
    procs: list,
    /** How many streams process `p` holds. */
    perProcess: (p: number) => Math.min(share, count - p * share),
    counts,
    /** Resolves once every stream has every id, or after `timeoutMs`; returns how many deliveries are missing. */
    async delivered(ids: readonly number[], timeoutMs: number): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = (await counts(ids)).reduce((sum, n) => sum + (count - n), 0);
        if (missing === 0 || Date.now() > deadline) return missing;
        await sleep(20);
      }
    },
    /** The client processes' CPU time so far, ms, summed. */
    async cpuMs(): Promise<number> {
      const replies = await Promise.all(list.map((c) => ask<{ ms: number }>(c, { type: 'cpu' }, 'cpu')));
      return replies.reduce((sum, r) => sum + r.ms, 0);
    },
    /** Per event id, when each stream received it. */
    async received(): Promise<Map<number, number[]>> {
      const replies = await Promise.all(
        list.map((c) => ask<{ received: [number, number[]][] }>(c, { type: 'report' }, 'report')),
      );
      const all = new Map<number, number[]>();
      for (const r of replies)
        for (const [id, times] of r.received) all.set(id, [...(all.get(id) ?? []), ...times]);
      return all;
    },
    async close(): Promise<void> {
      await Promise.all(
        list.map(
          (c) =>
            new Promise((resolve) => {
              c.once('exit', resolve);
              c.send({ type: 'close' });
            }),
        ),
      );
    },
  };
}
