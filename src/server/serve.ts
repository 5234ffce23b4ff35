// `strata serve`: configuration → store (migrated) → hub (one runner per cluster) → first admin token →
// HTTP server; SIGINT/SIGTERM close them in reverse order.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type Config, type LoadConfigOptions } from '../config.js';
import { Hub } from '../hub/index.js';
import { createStore, isStoreError, loadOrCreateKeyFile, TokenRole, type Store } from '../store/index.js';
import { createServer, type ServerOptions, type StrataServer } from './app.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export interface ServeOptions extends LoadConfigOptions {
  /** Where the first admin token and the listening line are printed. Default process.stdout. */
  readonly print?: (line: string) => void;
  /** Install SIGINT/SIGTERM handlers that close everything (default true; tests pass false). */
  readonly handleSignals?: boolean;
  /** Passed through to createServer (tests: validateResponses, heartbeatMs). */
  readonly server?: Omit<ServerOptions, 'hub' | 'store'>;
}

export interface RunningHub {
  readonly config: Config;
  readonly url: string;
  readonly store: Store;
  readonly hub: Hub;
  readonly server: StrataServer;
  /** Set on the first start only: the plaintext of the admin token created then. */
  readonly adminToken: string | undefined;
  close(): Promise<void>;
}

/**
 * On first start (no admin token at all) creates one named "admin", writes it to <dataDir>/admin-token with
 * mode 0600 and returns it. The file is written inside the token's transaction: if it cannot be written the
 * token is not created, so there is never an admin token nobody can read.
 */
export async function ensureAdminToken(store: Store, dataDir: string): Promise<string | undefined> {
  if ((await store.tokens.count(TokenRole.Admin)) > 0) return undefined;
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    return await store.transaction(async (tx) => {
      const { token, plaintext } = await tx.tokens.create({ role: TokenRole.Admin, name: 'admin' });
      await tx.audit.record({
        actor: { name: 'strata' },
        action: 'token.create',
        target: `token/${token.id}`,
        details: { name: token.name, role: token.role, reason: 'first start' },
      });
      await writeFile(path, `${plaintext}\n`, { mode: 0o600 });
      // The mode given to open() is reduced by the umask and ignored for an existing file: make it exact.
      await chmod(path, 0o600);
      return plaintext;
    });
  } catch (error) {
    // Another hub replica on the same PostgreSQL database created it at the same moment.
    if (isStoreError(error, 'TOKEN_EXISTS')) return undefined;
    throw error;
  }
}

export async function serve(options: ServeOptions = {}): Promise<RunningHub> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadConfig(options);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const secretKey = config.secretKey ?? (await loadOrCreateKeyFile(config.dataDir));
  const store = await createStore({ url: config.databaseUrl, secretKey });
  let hub: Hub | undefined;
  let server: StrataServer | undefined;
  try {
    const adminToken = await ensureAdminToken(store, config.dataDir);
    hub = await Hub.open({ store, helmBin: config.helmBin, chartCacheDir: join(config.dataDir, 'charts') });
    server = createServer({ logLevel: config.logLevel, ...options.server, hub, store });
    const url = await server.listen(config.address);
    if (adminToken !== undefined) {
      print(
        `strata: first start: created an admin API token (also in ${join(config.dataDir, ADMIN_TOKEN_FILE)}, mode 0600):`,
      );
      print(adminToken);
    }
    print(`strata: hub listening on ${url} (data in ${config.dataDir})`);

    let closing: Promise<void> | undefined;
    const openHub = hub;
    const openServer = server;
    const close = () =>
      (closing ??= (async () => {
        await openServer.close();
        await openHub.close();
        await store.close();
      })());
    if (options.handleSignals ?? true) {
      const onSignal = (signal: NodeJS.Signals) => {
        print(`strata: ${signal}: shutting down`);
        close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`strata: shutdown failed: ${String(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    return { config, url, store, hub, server, adminToken, close };
  } catch (error) {
    await server?.close().catch(() => undefined);
    await hub?.close().catch(() => undefined);
    await store.close();
    throw error;
  }
}
