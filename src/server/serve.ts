// `strata serve`: configuration → store (migrated) → hub (one runner per cluster) → first admin token →
// HTTP server; SIGINT/SIGTERM close them in reverse order.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config, type LoadConfigOptions } from '../config.js';
import { Hub } from '../hub/index.js';
import {
  Backend,
  createStore,
  loadOrCreateKeyFile,
  parseDatabaseUrl,
  parseSecretKey,
  type Store,
} from '../store/index.js';
import { adminTokenPath, ensureAdminToken, retireAdminTokenFile } from './admin-token.js';
import { createServer, type ServerOptions, type StrataServer } from './app.js';
import { lockDataDir } from './data-dir-lock.js';
import { forwardKeyOf } from './replica-forward.js';

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

export async function serve(options: ServeOptions = {}): Promise<RunningHub> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadConfig(options);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  // It holds the key file, the database and the first admin token: owner-only even if it existed before.
  await chmod(config.dataDir, 0o700);
  const secretKey = config.secretKey ?? (await loadOrCreateKeyFile(config.dataDir));
  // SQLite: one hub per data dir, a second one is refused before it touches the database (data-dir-lock.ts).
  // PostgreSQL: any number, as replicas.
  const lock =
    parseDatabaseUrl(config.databaseUrl).backend === Backend.Sqlite ? lockDataDir(config.dataDir) : undefined;
  let store: Store;
  try {
    store = await createStore({ url: config.databaseUrl, secretKey });
  } catch (error) {
    lock?.release();
    throw error;
  }
  let hub: Hub | undefined;
  let server: StrataServer | undefined;
  try {
    const adminToken = await ensureAdminToken(store, config.dataDir);
    // Another admin token exists (made while this hub was down, or by another replica): the file's copy of
    // the first one is no longer needed to log in.
    if (adminToken === undefined && (await retireAdminTokenFile(store, config.dataDir))) {
      print(`strata: removed ${adminTokenPath(config.dataDir)}: another admin token exists`);
    }
    // On PostgreSQL any number of hubs may share the database: each is a replica, driving the clusters whose
    // leases it holds (src/hub/replica.ts). Its address is known once it listens; until then it has none.
    let listening = '';
    const replica =
      store.backend === 'postgres'
        ? {
            id: `${hostname()}-${String(process.pid)}-${randomBytes(3).toString('hex')}`,
            address: () => listening,
          }
        : undefined;
    hub = await Hub.open({
      ...(replica ? { replica } : {}),
      store,
      helmBin: config.helmBin,
      chartCacheDir: join(config.dataDir, 'charts'),
      allowedExecPlugins: config.allowedExecPlugins,
      outboundDeny: config.outboundDeny,
      retention: { keepPerPack: config.keepTransitions, keepDays: config.keepDays },
      watchBudgetBytes: config.watchCacheBytes,
    });
    server = createServer({
      logLevel: config.logLevel,
      adminTokenFile: adminTokenPath(config.dataDir),
      ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
      metricsPublic: config.metricsPublic,
      streamLimits: { perToken: config.maxStreamsPerToken, total: config.maxStreams },
      maxHeavyPerToken: config.maxCostlyPerToken,
      requestTimeoutMs: config.requestTimeoutMs,
      maxConnections: config.maxConnections,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      maxConnectionsPerToken: config.maxConnectionsPerToken,
      maxHeavyPerOperation: config.maxCostlyPerOperation,
      bodyBudget: { perToken: config.maxBodyBytesPerToken, total: config.maxBodyBytes },
      // Replicas share the secret key (they decrypt each other's kubeconfigs): their forwarded marker key too.
      forwardKey: forwardKeyOf(parseSecretKey(secretKey)),
      ...options.server,
      hub,
    });
    const url = await server.listen(config.address);
    listening = url;
    // The token itself only when asked: a terminal's output is logged too (`docker run -t`, a pod's `tty: true`),
    // and a log outlives the file's 0600 and its removal once another admin token exists.
    if (adminToken !== undefined && config.printAdminToken) {
      print(
        `strata: first start: created an admin API token (also in ${adminTokenPath(config.dataDir)}, mode 0600, ` +
          'until another admin token exists; it is not printed again):',
      );
      print(adminToken);
    } else if (adminToken !== undefined) {
      print(
        `strata: first start: created an admin API token in ${adminTokenPath(config.dataDir)} (mode 0600, ` +
          'until another admin token exists; --print-admin-token prints it). Log in with: ' +
          `export STRATA_TOKEN=$(cat ${adminTokenPath(config.dataDir)})`,
      );
    }
    print(
      `strata: hub listening on ${url} (data in ${config.dataDir})` +
        (replica ? `, replica ${replica.id} on PostgreSQL` : ''),
    );

    let closing: Promise<void> | undefined;
    const openHub = hub;
    const openServer = server;
    const close = () =>
      (closing ??= (async () => {
        await openServer.close();
        await openHub.close();
        await store.close();
        lock?.release();
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
    lock?.release();
    throw error;
  }
}
