// An exec plugin a hub admin allowed runs without the hub's secrets in its environment: a real plugin (a
// shell script on PATH) reports the variables it was started with as its token.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientNode } from './client-node.js';
import { pluginEnv } from './exec-env.js';
import { loadKubeconfig } from './kubeconfig.js';

// A stand-in for aws on this test's PATH: an allowed plugin Strata knows may be given AWS_PROFILE (and runs only
// as `aws eks get-token …`, kubeconfig-exec-plugins.ts).
const PLUGIN = 'aws';
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-exec-env-'));
  // Prints an ExecCredential whose token is the names (and the one value) it was started with.
  await writeFile(
    join(dir, PLUGIN),
    '#!/bin/sh\n' +
      'names=$(env | cut -d= -f1 | sort | tr "\\n" " ")\n' +
      'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",' +
      '"status":{"token":"%s|%s"}}\' "$names" "$AWS_PROFILE"\n',
  );
  await chmod(join(dir, PLUGIN), 0o755);
  process.env.PATH = `${dir}:${saved.PATH ?? ''}`;
  process.env.STRATA_SECRET_KEY = 'hub-secret-key';
  process.env.STRATA_DATABASE_URL = 'postgres://strata:pw@db/strata';
  process.env.AWS_REGION = 'eu-west-1';
});

afterAll(async () => {
  for (const name of ['STRATA_SECRET_KEY', 'STRATA_DATABASE_URL', 'AWS_REGION'])
    Reflect.deleteProperty(process.env, name);
  process.env.PATH = saved.PATH;
  await rm(dir, { recursive: true, force: true });
});

const kubeconfig = (env: string) => `
apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443" } }]
users:
  - name: u
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: ${PLUGIN}
        args: [eks, get-token, --cluster-name, c]
        interactiveMode: Never
        ${env}
contexts: [{ name: ctx, context: { cluster: c, user: u } }]
current-context: ctx
`;

async function tokenOf(text: string, dataOnly: boolean): Promise<string> {
  const { kubeConfig } = loadKubeconfig(text, 'test', {
    ...(dataOnly ? { dataOnly: { allowedExecPlugins: [PLUGIN] } } : {}),
  });
  const ctx = new (clientNode().RequestContext)('https://127.0.0.1:6443/api', clientNode().HttpMethod.GET);
  await kubeConfig.applySecurityAuthentication(ctx);
  return ctx.getHeaders().Authorization?.replace(/^Bearer /, '') ?? '';
}

describe('exec plugins of a kubeconfig sent to the hub', () => {
  it("start without the hub's secrets, with what a credential helper reads and the kubeconfig's env", async () => {
    const token = await tokenOf(kubeconfig('env: [{ name: AWS_PROFILE, value: prod }]'), true);
    const [names = '', profile] = token.split('|');
    expect(names.split(' ')).not.toContain('STRATA_SECRET_KEY');
    expect(names.split(' ')).not.toContain('STRATA_DATABASE_URL');
    expect(names.split(' ')).toEqual(expect.arrayContaining(['PATH', 'AWS_REGION', 'AWS_PROFILE']));
    expect(profile).toBe('prod');
  });

  it('start so too when the kubeconfig sets no env', async () => {
    const token = await tokenOf(kubeconfig(''), true);
    expect(token.split('|')[0]?.split(' ')).not.toContain('STRATA_SECRET_KEY');
  });

  it("keep the user's whole environment for a kubeconfig of their own (the CLI, as kubectl does)", async () => {
    const token = await tokenOf(kubeconfig(''), false);
    expect(token.split('|')[0]?.split(' ')).toContain('STRATA_SECRET_KEY');
  });
});

describe('pluginEnv', () => {
  it("passes the kubeconfig's variables over the hub's, and drops the hub's others", () => {
    const hub = { PATH: '/bin', HOME: '/root', STRATA_SECRET_KEY: 'k', PGPASSWORD: 'pw', AWS_PROFILE: 'hub' };
    expect(pluginEnv(hub, { ...hub, AWS_PROFILE: 'prod', KUBE_X: '1' })).toEqual({
      PATH: '/bin',
      HOME: '/root',
      AWS_PROFILE: 'prod',
      KUBE_X: '1',
    });
    expect(pluginEnv(hub, undefined)).toEqual({ PATH: '/bin', HOME: '/root', AWS_PROFILE: 'hub' });
  });
});
