// The test chart sources are real servers: a chart published to them comes back through helm only with the
// right password and the testenv CA, as from any registry or repository with auth and TLS.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChartServers, type ChartServers } from './chart-servers.js';
import { binDir } from './paths.js';

const dashboards = resolve(import.meta.dirname, '../../examples/charts/dashboards');
let started: ChartServers | undefined;
/** The servers beforeAll started (afterAll copes with a beforeAll that failed). */
function servers(): ChartServers {
  if (started === undefined) throw new Error('the chart servers did not start');
  return started;
}
let work: string;
beforeAll(async () => {
  started = await startChartServers();
  await started.publish(dashboards);
  work = await mkdtemp(join(tmpdir(), 'strata-chart-servers-it-'));
}, 120_000);
afterAll(async () => {
  await started?.close();
  await rm(work, { recursive: true, force: true });
});

function helm(args: string[], stdin = ''): Promise<{ code: number; out: string }> {
  const env = { ...process.env, HELM_CONFIG_HOME: join(work, 'helm'), HELM_CACHE_HOME: join(work, 'helm') };
  return new Promise((done) => {
    const child = execFile(join(binDir({ build: false }), 'helm'), args, { env }, (error, stdout, stderr) => {
      done({ code: error ? 1 : 0, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(stdin);
  });
}

describe('the test chart servers', () => {
  it('serve a pushed chart from the OCI registry to a logged-in helm, and answer 401 to a wrong password', async () => {
    const config = join(work, 'registry.json');
    const login = (password: string) =>
      helm(
        [
          'registry',
          'login',
          servers().registryHost,
          `--username=${servers().username}`,
          '--password-stdin',
          `--ca-file=${servers().caFile}`,
          `--registry-config=${config}`,
        ],
        password,
      );
    expect((await login('wrong')).out).toMatch(/401|unauthorized/i);
    expect(await login(servers().password)).toMatchObject({ code: 0 });
    const dest = join(work, 'oci');
    await mkdir(dest);
    const pulled = await helm([
      'pull',
      `${servers().ociBase}/dashboards`,
      '--version=0.1.0',
      `--destination=${dest}`,
      `--ca-file=${servers().caFile}`,
      `--registry-config=${config}`,
    ]);
    expect(pulled, pulled.out).toMatchObject({ code: 0 });
    expect(await readdir(dest)).toEqual(['dashboards-0.1.0.tgz']);
  });

  it('serve the chart from the HTTPS repository with basic auth, and refuse without it', async () => {
    const dest = join(work, 'repo');
    await mkdir(dest);
    const pull = (password: string) =>
      helm([
        'pull',
        `--repo=${servers().repoUrl}`,
        '--version=0.1.0',
        `--destination=${dest}`,
        `--ca-file=${servers().caFile}`,
        `--username=${servers().username}`,
        `--password=${password}`,
        '--',
        'dashboards',
      ]);
    const refused = await pull('wrong');
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/401/);
    const untrusted = await helm([
      'pull',
      `--repo=${servers().repoUrl}`,
      `--destination=${dest}`,
      '--',
      'dashboards',
    ]);
    expect(untrusted.out).toMatch(/certificate/i);
    expect(await pull(servers().password)).toMatchObject({ code: 0 });
    expect(await readdir(dest)).toEqual(['dashboards-0.1.0.tgz']);
  });
});
