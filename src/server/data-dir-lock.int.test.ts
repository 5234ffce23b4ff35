// One hub per data dir on SQLite (issue 16), with real processes: a second `serve` on the same data dir is
// refused with a message naming the data dir and the running hub's pid, and a hub killed with -9 leaves no lock
// behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'strata-lock-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Outcome {
  readonly child: ChildProcess;
  /** Resolves with the output once it listens, or with the exit code and output when it exits first. */
  readonly result: Promise<{ listening: boolean; code: number | null; output: string }>;
}

function serve(): Outcome {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'serve', '--address', '127.0.0.1:0', '--data-dir', dataDir],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRATA_LOG_LEVEL: 'warn' } },
  );
  children.push(child);
  let output = '';
  const result = new Promise<{ listening: boolean; code: number | null; output: string }>((done) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('hub listening on')) done({ listening: true, code: null, output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      done({ listening: false, code, output });
    });
  });
  return { child, result };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else
      child.once('exit', () => {
        done();
      });
  });

describe('a SQLite data dir', () => {
  it('refuses a second hub process, naming the data dir and the running one, and is free again after kill -9', async () => {
    const first = serve();
    expect((await first.result).listening).toBe(true);

    const second = serve();
    const refused = await second.result;
    expect(refused.listening).toBe(false);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`the data dir ${dataDir} is in use by another strata hub`);
    expect(refused.output).toContain(`pid ${String(first.child.pid)}`);
    expect(refused.output).not.toMatch(/\n\s+at /); // no stack trace

    first.child.kill('SIGKILL');
    await exited(first.child);
    const third = serve();
    expect((await third.result).listening).toBe(true);
    third.child.kill('SIGTERM');
    await exited(third.child);
  }, 60_000);
});
