// The first admin token and its file. On first start the hub creates an admin token and writes it to
// <data dir>/admin-token (0600) so the operator can log in; once any other admin token exists that file is
// only a copy of a secret lying on disk, so it is removed (when an admin token is created through the API, and
// at start). Its plaintext is printed on first start only, never again.
//
// Recovery when every admin token is lost: `strata token create --role admin --data-dir DIR` on the hub's
// host opens the store directly (`createAdminTokenOffline`): whoever can read the data dir owns the hub anyway.
import { access, chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadConfig, type LoadConfigOptions } from '../config.js';
import {
  createStore,
  isStoreError,
  KEY_FILE_NAME,
  loadOrCreateKeyFile,
  TokenRole,
  type CreatedToken,
  type Store,
} from '../store/index.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export const adminTokenPath = (dataDir: string): string => join(dataDir, ADMIN_TOKEN_FILE);

/**
 * On first start (no admin token at all) creates one named "admin", writes it to <dataDir>/admin-token with
 * mode 0600 and returns it. The file is written inside the token's transaction: if it cannot be written the
 * token is not created, so there is never an admin token nobody can read.
 */
export async function ensureAdminToken(store: Store, dataDir: string): Promise<string | undefined> {
  if ((await store.tokens.count(TokenRole.Admin)) > 0) return undefined;
  const path = adminTokenPath(dataDir);
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

/** Removes <dataDir>/admin-token when more than one admin token exists; true when it removed it. */
export async function retireAdminTokenFile(store: Store, dataDir: string): Promise<boolean> {
  if ((await store.tokens.count(TokenRole.Admin)) < 2) return false;
  return removeAdminTokenFile(adminTokenPath(dataDir));
}

/** Removes the file (absent is fine); true when there was one. */
export async function removeAdminTokenFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export interface HostTokenOptions extends LoadConfigOptions {
  readonly role: TokenRole;
  readonly name: string;
}

/**
 * The documented recovery (`strata token create --role admin --data-dir DIR`): a token created on the hub's
 * store directly, with the hub's own configuration (data dir, STRATA_DATABASE_URL, STRATA_SECRET_KEY), no hub
 * and no token needed. Audited as made on the host, so the log says how it came to be. A running hub sees the
 * token at once (it looks tokens up in the store on every request).
 */
export async function createTokenOnHost(options: HostTokenOptions): Promise<CreatedToken> {
  // helm is not needed here: do not go looking for it.
  const config = loadConfig({ ...options, findHelm: () => 'helm' });
  if (config.secretKey === undefined) {
    // Never create a key (and so a new, empty hub) in a directory that is not a hub's data dir.
    const keyFile = join(config.dataDir, KEY_FILE_NAME);
    try {
      await access(keyFile);
    } catch {
      throw new ConfigError(
        `${config.dataDir} is not a Strata data directory (no ${KEY_FILE_NAME}); give the --data-dir the hub ` +
          'runs with, or STRATA_SECRET_KEY when the hub gets its key from the environment',
      );
    }
  }
  const secretKey = config.secretKey ?? (await loadOrCreateKeyFile(config.dataDir));
  const store = await createStore({ url: config.databaseUrl, secretKey });
  try {
    const created = await store.transaction(async (tx) => {
      const made = await tx.tokens.create({ role: options.role, name: options.name });
      await tx.audit.record({
        actor: { name: 'strata token create --data-dir' },
        action: 'token.create',
        target: `token/${made.token.id}`,
        details: { name: options.name, role: options.role, reason: 'created on the hub host' },
      });
      return made;
    });
    if (options.role === TokenRole.Admin) await retireAdminTokenFile(store, config.dataDir);
    return created;
  } finally {
    await store.close();
  }
}
