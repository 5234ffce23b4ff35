// The spawner (issue 15): programs start in its own small process, never as children of the test's (the hub's)
// process; at most `concurrency` run at once, the rest queue; failures come back as execFile's; a spawner that
// dies fails what it was running and the next run starts a new one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('fails only the run whose arguments the kernel refuses (E2BIG), not its process and the runs beside it', async () => {
    spawner = new Spawner(2);
    const first = (await spawner.run('/bin/sh', ['-c', 'echo "$PPID"'])).stdout.trim();
    const beside = spawner.run('/bin/sh', ['-c', 'sleep 0.3; echo beside']);
    // One argument past the kernel's 128 KiB per argument.
    const refused = await spawner.run('/bin/echo', ['x'.repeat(256 * 1024)]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SpawnError);
    expect((refused as SpawnError).code).toBe('E2BIG');
    // An argument with a NUL: Node's message would quote it; the run's error names the cause only.
    const nul = await spawner.run('/bin/echo', ['password=hunter2\u0000x']).catch((e: unknown) => e);
    expect(nul).toBeInstanceOf(SpawnError);
    expect((nul as SpawnError).message).not.toContain('hunter2');
    expect((await beside).stdout).toBe('beside\n');
    expect((await spawner.run('/bin/sh', ['-c', 'echo "$PPID"'])).stdout.trim()).toBe(first);
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

  it('kills a program whose resident memory passes its limit where the data limit let it through', async () => {
    // A "shell" that sets no limit and execs the program (memory-limit.ts passes -c, the script, $0, the KiB):
    // what Linux does when it lets one heap growth past RLIMIT_DATA. Only the watch on VmRSS is left.
    const dir = mkdtempSync(join(tmpdir(), 'strata-spawner-'));
    try {
      const noLimit = join(dir, 'no-limit');
      writeFileSync(noLimit, '#!/bin/sh\nshift 4\nexec "$@"\n', { mode: 0o755 });
      spawner = new Spawner(1, { shell: noLimit });
      const started = Date.now();
      const error = await spawner
        .run(
          process.execPath,
          ['-e', 'globalThis.b = Buffer.alloc(512 << 20, 1); setTimeout(() => {}, 60_000)'],
          {
            memoryLimitMib: 256,
          },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SpawnError);
      expect((error as SpawnError).memoryLimitMib).toBe(256);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
