// Secrets at rest (kubeconfigs, sensitive variable values) are sealed with AES-256-GCM: authenticated, so a
// wrong key or an altered value is an error rather than garbage. Each value records which key sealed it (a
// fingerprint, not the key), so "wrong key" is told apart from "tampered" and a future key rotation can find
// what is still sealed with the old key.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError, StoreErrorCode } from './errors.js';

export const KEY_BYTES = 32;
/** The key file `loadOrCreateKeyFile` manages inside the data directory. */
export const KEY_FILE_NAME = 'secret.key';

const IV_BYTES = 12; // the GCM standard nonce size (NIST SP 800-38D); random per value
const TAG_BYTES = 16;
const ENVELOPE_VERSION = 'v1';

/** Accepts the raw 32 bytes or their base64 (the form of STRATA_SECRET_KEY and of the key file). */
export function parseSecretKey(value: string | Uint8Array): Buffer {
  let key: Buffer;
  if (typeof value === 'string') {
    const text = value.trim();
    // Buffer.from(…, 'base64') silently skips characters that are not base64, so check the alphabet first.
    key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  } else {
    key = Buffer.from(value);
  }
  if (key.length !== KEY_BYTES) {
    throw new StoreError(
      StoreErrorCode.SecretKeyInvalid,
      `the secret key must be ${KEY_BYTES} random bytes in base64 (e.g. \`openssl rand -base64 32\`); ` +
        `got ${key.length === 0 ? 'no valid base64' : `${key.length} bytes`}`,
    );
  }
  return key;
}

/** A short public fingerprint of a key: identifies it in sealed values and in error messages. */
export function keyFingerprint(key: Uint8Array): string {
  return createHash('sha256').update('strata-secret-key\0').update(key).digest('hex').slice(0, 16);
}

/**
 * Reads `<dataDir>/secret.key`, or creates it with a fresh random key: mode 0600 in a 0700 directory, written
 * with O_EXCL so two processes starting at once cannot each write a different key. Refuses a key file that
 * others can read, like ssh does, because that key opens every kubeconfig in the store.
 */
export async function loadOrCreateKeyFile(dataDir: string): Promise<Buffer> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, KEY_FILE_NAME);
  const fresh = randomBytes(KEY_BYTES);
  try {
    await writeFile(path, `${fresh.toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    // The mode passed to open() is reduced by the umask, never widened; chmod makes it exact anyway.
    await chmod(path, 0o600);
    return fresh;
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
  }
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw new StoreError(
      StoreErrorCode.SecretKeyInvalid,
      `${path} is accessible by other users (mode ${(info.mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return parseSecretKey(await readFile(path, 'utf8'));
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

/**
 * Seals and opens values. `context` is authenticated but not stored (GCM additional data): a value sealed for
 * cluster A's credentials does not open as cluster B's, so rows cannot be swapped in the database.
 */
export class Cipher {
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    this.#key = parseSecretKey(key);
    this.keyId = keyFingerprint(this.#key);
  }

  /** → `v1.<key id>.<iv>.<tag>.<ciphertext>`, base64url parts: plain text, so the same column type everywhere. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
    return [ENVELOPE_VERSION, this.keyId, ...parts].join('.');
  }

  open(sealed: string, context: string): string {
    const [version, keyId, iv, tag, body, ...rest] = sealed.split('.');
    if (version !== ENVELOPE_VERSION || keyId === undefined || iv === undefined || tag === undefined) {
      throw corrupt(context);
    }
    if (body === undefined || rest.length > 0) throw corrupt(context);
    if (keyId !== this.keyId) {
      throw new StoreError(
        StoreErrorCode.SecretKeyMismatch,
        `${context} was encrypted with key ${keyId}, but the store was opened with key ${this.keyId}: ` +
          'set STRATA_SECRET_KEY (or the data directory key file) to the key this data was written with',
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch (cause) {
      throw corrupt(context, cause);
    }
  }
}

function corrupt(context: string, cause?: unknown): StoreError {
  return new StoreError(
    StoreErrorCode.SecretCorrupt,
    `${context} does not decrypt: the stored value was altered`,
    cause === undefined ? {} : { cause },
  );
}
