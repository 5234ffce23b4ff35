// What an idle hub loads (issue 15: an idle hub under 80 MiB RSS). `strata serve` on an empty data dir, in a
// fresh Node process where no other test has loaded anything, answers a few requests; the packages it has
// no use for yet must not be loaded: each costs memory for as long as the hub runs.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

/** Starts the hub in-process, requests `paths` (each must answer 200), prints the packages loaded. */
const script = `
import { registerHooks } from 'node:module';
const urls = [];
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    urls.push(resolved.url);
    return resolved;
  },
});
const [dataDir, ...paths] = JSON.parse(process.env.IDLE_ARGS);
const { serve } = await import('./src/server/serve.ts');
const running = await serve({
  argv: ['--address=127.0.0.1:0', '--data-dir=' + dataDir, '--log-level=silent'],
  env: {},
  cwd: dataDir,
  print: () => {},
  handleSignals: false,
});
const statuses = {};
// Not fetch(), which loads undici itself.
const http = process.getBuiltinModule('node:http');
const status = (url) =>
  new Promise((done, failed) => {
    http.get(url, (response) => {
      response.resume();
      done(response.statusCode);
    }).on('error', failed);
  });
for (const path of paths) statuses[path] = await status(running.url + path);
await running.close();
const packages = new Set();
for (const url of urls) {
  const match = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(url);
  if (match) packages.add(match[1]);
}
// Node's own modules, the ones bundled from npm among them (undici).
const builtins = process.moduleLoadList.filter((name) => name.startsWith('NativeModule '));
console.log(JSON.stringify({ statuses, packages: [...packages].sort(), builtins }));
`;

let dataDir: string | undefined;
afterEach(async () => {
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

async function idleHub(paths: readonly string[]) {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-idle-'));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root, env: { ...process.env, IDLE_ARGS: JSON.stringify([dataDir, ...paths]) } },
  );
  return JSON.parse(stdout) as { statuses: Record<string, number>; packages: string[]; builtins: string[] };
}

describe('an idle hub', () => {
  it('serves its routes without loading a JSON schema compiler (routes validate with zod)', async () => {
    const { statuses, packages } = await idleHub(['/healthz', '/api/v1/openapi.json', '/readyz']);
    expect(statuses).toEqual({ '/healthz': 200, '/api/v1/openapi.json': 200, '/readyz': 200 });
    // Fastify's default compilers: ajv (and its formats) for validation, fast-json-stringify's compiler for
    // replies (Fastify's own precompiled error serializer still loads fast-json-stringify's small runtime).
    expect(packages).toContain('fastify');
    expect(packages).not.toContain('@fastify/ajv-compiler');
    expect(packages).not.toContain('@fastify/fast-json-stringify-compiler');
    expect(packages).not.toContain('ajv');
    expect(packages).not.toContain('ajv-formats');
  }, 60_000);

  it("does not load Node's bundled undici (fetch, WebSocket), which an ESM import of node:http would", async () => {
    const { statuses, builtins } = await idleHub(['/healthz', '/api/v1/no-such-route']);
    expect(statuses).toEqual({ '/healthz': 200, '/api/v1/no-such-route': 404 });
    expect(builtins).toContain('NativeModule http');
    expect(builtins.filter((name) => name.includes('undici'))).toEqual([]);
  }, 60_000);
});
