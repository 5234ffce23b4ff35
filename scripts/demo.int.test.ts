import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { readState } from '../testenv/src/controlplane.js';
import { freePort } from '../testenv/src/ports.js';

const root = resolve(import.meta.dirname, '..');

it('the demo, non-interactive, takes the example profiles to green and the failing one to red, then cleans up', async () => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-demo-'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/demo.ts',
      '--ci',
      '--name',
      'demo-it',
      '--data-dir',
      dataDir,
      '--address',
      `127.0.0.1:${port}`,
      '--timeout',
      '4m',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('exit', done));

  expect(out, out).toContain('demo: all 9 packs of the example profiles are green.');
  expect(out).toMatch(/broken-web is red: Pod broken\/broken-web-\S+: (ErrImagePull|ImagePullBackOff): /);
  expect(out).toContain(`Cluster Profile page:  http://127.0.0.1:${port}/#/clusters/demo-it`);
  expect(out).toMatch(/API token \(admin\): +strata_\S+/);
  expect(code, out).toBe(0);
  // It stopped what it started.
  expect(await readState('demo-it')).toBeUndefined();
});
