// The spawner (issue 15): programs start in its own small process, never as children of the test's (the hub's)
// process; at most `concurrency` run at once, the rest queue; failures come back as execFile's; a spawner that
// dies fails what it was running and the next run starts a new one.
import { afterEach, describe, expect, it } from 'vitest';
import { SpawnError, Spawner } from './spawner.js';

let spawner: Spawner | undefined;
afterEach(() => {
  spawner?.close();
  spawner = undefined;
});

describe('Spawner', () => {
  it('runs a program in another process than this one, with its input on stdin', async () => {
    spawner = new Spawner(2);
    const { stdout } = await spawner.run('/bin/sh', ['-c', 'echo "$PPID"; cat'], { input: 'values' });
    const [parent, input] = stdout.split('\n');
    expect(Number(parent)).toBeGreaterThan(0);
    expect(Number(parent)).not.toBe(process.pid);
    expect(input).toBe('values');
    // The same long-lived process starts the next one.
    const again = await spawner.run('/bin/sh', ['-c', 'echo "$PPID"']);
    expect(again.stdout.trim()).toBe(parent);
  });

  it('runs at most `concurrency` programs at once and queues the rest, in order', async () => {
    const pool = new Spawner(2);
    spawner = pool;
    const runs = Array.from({ length: 5 }, (_, i) => pool.run('/bin/echo', [String(i)]));
    expect(pool.pending).toEqual({ running: 2, queued: 3 });
    const outs = await Promise.all(runs);
    expect(outs.map((o) => o.stdout.trim())).toEqual(['0', '1', '2', '3', '4']);
    expect(pool.pending).toEqual({ running: 0, queued: 0 });
  });

  it('reports a missing program as ENOENT and a failed one with its exit code and stderr', async () => {
    spawner = new Spawner(2);
    const missing = await spawner.run('/nonexistent/helm', ['template']).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SpawnError);
    expect((missing as SpawnError).code).toBe('ENOENT');
    const failed = await spawner
      .run('/bin/sh', ['-c', 'echo "Error: bad chart" >&2; exit 3'])
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 3, stderr: 'Error: bad chart\n' });
  });

  it('fails what was running when its process dies, and starts a new process for the next run', async () => {
    spawner = new Spawner(2);
    const first = (await spawner.run('/bin/sh', ['-c', 'echo "$PPID"'])).stdout.trim();
    // The program kills the spawner's process (its parent) before answering.
    await expect(spawner.run('/bin/sh', ['-c', 'kill -9 "$PPID"; sleep 5'])).rejects.toThrow(
      /spawner process exited/,
    );
    const second = (await spawner.run('/bin/sh', ['-c', 'echo "$PPID"'])).stdout.trim();
    expect(second).not.toBe(first);
  });
});
