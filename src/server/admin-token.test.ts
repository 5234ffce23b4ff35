// The hub's data directory as `strata serve` leaves it: owner-only modes, the first admin token printed once
// and its file removed once another admin token exists, and the recovery when every admin token is lost
// (`strata token create --role admin --data-dir DIR`, no hub needed). Real serve() on SQLite, no clusters.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import type { Output } from '../cli/command.js';
import { createStore, KEY_FILE_NAME, loadOrCreateKeyFile, TokenRole } from '../store/index.js';
import { ADMIN_TOKEN_FILE } from './admin-token.js';
import { serve, type RunningHub } from './serve.js';

const dirs: string[] = [];
const hubs: RunningHub[] = [];

afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-data-'));
  dirs.push(dir);
  return join(dir, 'data');
}

async function start(
  dir: string,
  options: { printAdminToken?: boolean } = {},
): Promise<{ hub: RunningHub; printed: string[] }> {
  const printed: string[] = [];
  // What older code took as leave to print the token (review 9, item 7): its output is a terminal.
  const terminal = { printsToTerminal: true };
  const hub = await serve({
    ...terminal,
    env: {
      ...(options.printAdminToken === undefined
        ? {}
        : { STRATA_PRINT_ADMIN_TOKEN: String(options.printAdminToken) }),
      STRATA_DATA_DIR: dir,
      STRATA_ADDRESS: '127.0.0.1:0',
      STRATA_LOG_LEVEL: 'silent',
      STRATA_HELM: 'helm',
    },
    handleSignals: false,
    print: (line) => printed.push(line),
    server: { webRoot: false, defaultMetrics: false },
  });
  hubs.push(hub);
  return { hub, printed };
}

async function stop(hub: RunningHub): Promise<void> {
  hubs.splice(hubs.indexOf(hub), 1);
  await hub.close();
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

async function api(hub: RunningHub, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${hub.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function capture(): Output & { text: () => string } {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    isTTY: false,
    columns: undefined,
    text: () => text,
  };
}

async function strata(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdout, stderr, env: {}, cwd: tmpdir() });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('the data directory', () => {
  it('is 0700 and its database, WAL, shared memory, key and token files are 0600', async () => {
    const dir = dataDir();
    const { hub } = await start(dir);
    // A write, so the WAL and its index exist while the hub runs.
    await hub.store.tokens.create({ role: TokenRole.Viewer, name: 'mode-check' });
    expect(mode(dir)).toBe('700');
    for (const file of ['strata.db', 'strata.db-wal', 'strata.db-shm', KEY_FILE_NAME, ADMIN_TOKEN_FILE]) {
      expect(mode(join(dir, file)), file).toBe('600');
    }
  });

  it('repairs a database file an older version created 0644', async () => {
    const dir = dataDir();
    const { hub } = await start(dir);
    await stop(hub);
    chmodSync(join(dir, 'strata.db'), 0o644);
    chmodSync(dir, 0o755);
    await start(dir);
    expect(mode(join(dir, 'strata.db'))).toBe('600');
    expect(mode(dir)).toBe('700');
  });
});

describe('the first admin token', () => {
  it('is printed on first start only, when asked; its file goes once another admin token is created', async () => {
    const dir = dataDir();
    const first = await start(dir, { printAdminToken: true });
    const token = readFileSync(join(dir, ADMIN_TOKEN_FILE), 'utf8').trim();
    expect(first.printed).toContain(token);
    await stop(first.hub);

    const again = await start(dir, { printAdminToken: true });
    expect(again.printed.join('\n')).not.toContain(token);
    expect(again.printed.join('\n')).not.toContain('admin API token');
    expect(existsSync(join(dir, ADMIN_TOKEN_FILE))).toBe(true);

    const created = await api(again.hub, token, 'POST', '/tokens', { role: 'admin', name: 'alice' });
    expect(created.status).toBe(201);
    expect(existsSync(join(dir, ADMIN_TOKEN_FILE))).toBe(false);
    // A viewer token does not count: it cannot log in as admin.
    const viewerDir = dataDir();
    const other = await start(viewerDir);
    const otherToken = readFileSync(join(viewerDir, ADMIN_TOKEN_FILE), 'utf8').trim();
    expect((await api(other.hub, otherToken, 'POST', '/tokens', { role: 'viewer', name: 'v' })).status).toBe(
      201,
    );
    expect(existsSync(join(viewerDir, ADMIN_TOKEN_FILE))).toBe(true);
  });

  it('is not printed unless asked, even to a terminal (`docker run -t` logs it): the file is named, and how to log in', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const token = readFileSync(join(dir, ADMIN_TOKEN_FILE), 'utf8').trim();
    expect(token).toMatch(/\S{20,}/);
    expect(first.printed.join('\n')).not.toContain(token);
    expect(first.printed.join('\n')).toContain(
      `created an admin API token in ${join(dir, ADMIN_TOKEN_FILE)} (mode 0600, until another admin token ` +
        `exists; --print-admin-token prints it). Log in with: export STRATA_TOKEN=$(cat ${join(dir, ADMIN_TOKEN_FILE)})`,
    );
  });

  it('has its file removed at start when another admin token was made while the hub was down', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await stop(first.hub);
    const store = await createStore({
      url: `sqlite:${join(dir, 'strata.db')}`,
      secretKey: await loadOrCreateKeyFile(dir),
    });
    await store.tokens.create({ role: TokenRole.Admin, name: 'made-offline' });
    await store.close();

    const again = await start(dir);
    expect(existsSync(join(dir, ADMIN_TOKEN_FILE))).toBe(false);
    expect(again.printed.join('\n')).toContain(`removed ${join(dir, ADMIN_TOKEN_FILE)}`);
  });
});

describe('recovery when every admin token is lost', () => {
  it('`strata token create --role admin --data-dir DIR` makes a working admin token without a hub', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await stop(first.hub);
    // Every token gone, the file too: the hub is locked out.
    const store = await createStore({
      url: `sqlite:${join(dir, 'strata.db')}`,
      secretKey: await loadOrCreateKeyFile(dir),
    });
    for (const token of await store.tokens.list()) await store.tokens.delete(token.id);
    await store.close();
    rmSync(join(dir, ADMIN_TOKEN_FILE));

    const made = await strata([
      'token',
      'create',
      '--role',
      'admin',
      '--name',
      'recovery',
      '--data-dir',
      dir,
    ]);
    expect(made.stderr).toContain('token "recovery" (role admin');
    expect(made.code).toBe(0);
    const plaintext = made.stdout.trim();
    expect(plaintext).toMatch(/^strata_/);

    const { hub } = await start(dir);
    const listed = await api(hub, plaintext, 'GET', '/tokens');
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([expect.objectContaining({ name: 'recovery', role: 'admin' })]);
    // Restarting did not make (or print) a new first token: one admin exists.
    expect(existsSync(join(dir, ADMIN_TOKEN_FILE))).toBe(false);
  });

  it('refuses a directory that is not a hub data directory instead of creating a new hub there', async () => {
    const dir = dataDir();
    const made = await strata(['token', 'create', '--role', 'admin', '--data-dir', dir]);
    expect(made.code).toBe(1);
    expect(made.stderr).toContain(`${dir} is not a Strata data directory (no ${KEY_FILE_NAME})`);
    expect(existsSync(dir)).toBe(false);
  });
});
