// What the UI's end-to-end tests share: the built UI served by a real hub (createServer over a Hub and an
// in-memory SQLite store, serving web/dist itself as `strata serve` does), a real control plane from testenv/
// registered as cluster "local" with the example profiles imported, API tokens per role, and Debian's Chromium.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { helmBin, repoRoot } from '../../src/engine/testing/runner.js';
import { Hub } from '../../src/hub/index.js';
import { profileUpload } from '../../src/profile/index.js';
import { createServer, type StrataServer } from '../../src/server/index.js';
import { createStore, type Store } from '../../src/store/index.js';

export const CLUSTER = 'local';
export const examples = join(repoRoot, 'examples');
/** The example profiles the tests use, as files under examples/. */
export const EXAMPLE_FILES = ['infra.yaml', 'platform-tools.yaml', 'failing/broken-addon.yaml'];

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A profile with a misspelled field on line 11 (`versoin`), for the import panel's inline problems. */
export const MISSPELLED_PROFILE = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata:',
  '  name: bad-one',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  packs:',
  '    - name: web',
  '      layer: addon',
  '      versoin: 1.0.0',
  '      type: manifest',
  '      manifests: []',
  '',
].join('\n');

export type Role = 'viewer' | 'operator' | 'admin';

export interface UiHarness {
  readonly cp: ControlPlaneState;
  readonly url: string;
  readonly tokens: Readonly<Record<Role, string>>;
  readonly browser: Browser;
  /** The hub's API as `role`; throws with the status and body when it answers an error. */
  readonly api: (method: string, path: string, body?: unknown, role?: Role) => Promise<unknown>;
  /** Kills the hub (its HTTP server and its runners); the store keeps what it stored, as a crash would. */
  readonly stopHub: () => Promise<void>;
  /** Starts the hub again on the same store and the same address. */
  readonly startHub: () => Promise<void>;
  readonly close: () => Promise<void>;
}

/** Chromium (the Debian package) and fonts, then `vite build` of web/ in production mode. */
function prepareBrowserAndBuild(): void {
  if (!existsSync('/usr/bin/chromium')) {
    execFileSync('bash', [join(repoRoot, 'scripts', 'ensure-apt'), 'chromium', 'fonts-dejavu-core'], {
      stdio: 'inherit',
    });
  }
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    // vitest sets NODE_ENV=test, which would bundle React's development build.
    { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
}

/**
 * Builds the UI, starts control plane `name` and a hub serving it, registers the control plane as cluster
 * "local" and imports EXAMPLE_FILES (nothing attached yet), and launches Chromium.
 */
export async function startUiHarness(name: string): Promise<UiHarness> {
  prepareBrowserAndBuild();
  await down({ name });
  const cp = await up({ name, nodes: 3 });
  let store: Store | undefined;
  let hub: Hub | undefined;
  let server: StrataServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server?.close();
    await hub?.close();
    await store?.close();
    await down({ name });
  };
  try {
    store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
    const openStore = store;
    let port = 0;
    const startHub = async () => {
      hub = await Hub.open({
        store: openStore,
        helmBin: helmBin(),
        accessTimeoutMs: 5000,
        log: () => undefined,
      });
      server = createServer({
        hub,
        logLevel: 'silent',
        defaultMetrics: false,
        heartbeatMs: 5000,
      });
      const listening = await server.listen({ host: '127.0.0.1', port });
      port = Number(new URL(listening).port);
      return listening;
    };
    const stopHub = async () => {
      await server?.close();
      await hub?.close();
      server = undefined;
      hub = undefined;
    };
    const url = await startHub();
    const tokens: Record<Role, string> = { viewer: '', operator: '', admin: '' };
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      tokens[role] = (await store.tokens.create({ role, name: `e2e-${role}` })).plaintext;
    }
    /** A Buffer body is a profile bundle (application/gzip); anything else goes as JSON. */
    const api = async (method: string, path: string, body?: unknown, role: Role = 'admin') => {
      const bundle = Buffer.isBuffer(body);
      const res = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${tokens[role]}`,
          ...(body === undefined ? {} : { 'content-type': bundle ? 'application/gzip' : 'application/json' }),
        },
        ...(body === undefined ? {} : { body: bundle ? new Uint8Array(body) : JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text === '' ? undefined : (JSON.parse(text) as unknown);
    };
    await api('POST', '/clusters', { name: CLUSTER, kubeconfig: readFileSync(cp.kubeconfig, 'utf8') });
    for (const file of EXAMPLE_FILES) {
      const upload = await profileUpload(join(examples, file));
      const name = file.replace(/^.*\//, '');
      if (upload.bundle === undefined) await api('POST', '/profiles', { yaml: upload.yaml, file: name });
      else await api('POST', `/profiles?file=${encodeURIComponent(name)}`, upload.bundle);
    }
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    return {
      cp,
      url,
      tokens,
      browser,
      api,
      stopHub,
      startHub: async () => {
        await startHub();
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
