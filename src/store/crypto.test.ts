import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cipher, KEY_FILE_NAME, loadOrCreateKeyFile, parseSecretKey } from './crypto.js';
import { StoreError, type StoreErrorCode } from './errors.js';

function codeOf(fn: () => unknown): StoreErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof StoreError) return error.code;
    throw error;
  }
  return undefined;
}

describe('Cipher', () => {
  const key = randomBytes(32);

  it('round-trips, and never repeats a ciphertext (random nonce)', () => {
    const cipher = new Cipher(key);
    const a = cipher.seal('kubeconfig text ✓', 'cluster 1 credentials');
    const b = cipher.seal('kubeconfig text ✓', 'cluster 1 credentials');
    expect(a).not.toBe(b);
    expect(a).not.toContain('kubeconfig');
    expect(cipher.open(a, 'cluster 1 credentials')).toBe('kubeconfig text ✓');
    expect(a.startsWith(`v1.${cipher.keyId}.`)).toBe(true);
  });

  it('tells a wrong key apart from altered data', () => {
    const sealed = new Cipher(key).seal('secret', 'ctx');
    expect(codeOf(() => new Cipher(randomBytes(32)).open(sealed, 'ctx'))).toBe('SECRET_KEY_MISMATCH');
    expect(codeOf(() => new Cipher(key).open(sealed, 'other ctx'))).toBe('SECRET_CORRUPT');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[4] = body.toString('base64url');
    expect(codeOf(() => new Cipher(key).open(parts.join('.'), 'ctx'))).toBe('SECRET_CORRUPT');
    expect(codeOf(() => new Cipher(key).open('not sealed', 'ctx'))).toBe('SECRET_CORRUPT');
  });
});

describe('parseSecretKey', () => {
  it('accepts 32 bytes raw or as base64 (with surrounding whitespace)', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key)).toEqual(key);
    expect(parseSecretKey(`  ${key.toString('base64')}\n`)).toEqual(key);
  });

  it.each(['', 'c2hvcnQ=', randomBytes(33).toString('base64'), `${randomBytes(32).toString('base64')}!`])(
    'refuses %j',
    (value) => {
      expect(codeOf(() => parseSecretKey(value))).toBe('SECRET_KEY_INVALID');
    },
  );
});

describe('loadOrCreateKeyFile', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 key file once and reads the same key afterwards', async () => {
    const dataDir = join(dir, 'data');
    const created = await loadOrCreateKeyFile(dataDir);
    expect(created).toHaveLength(32);
    const path = join(dataDir, KEY_FILE_NAME);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim()).toBe(created.toString('base64'));
    expect(await loadOrCreateKeyFile(dataDir)).toEqual(created);
  });

  it('gives every concurrent caller the same key', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKeyFile(dir)));
    for (const key of keys) expect(key).toEqual(keys[0]);
  });

  it('refuses a key file other users can read', async () => {
    await loadOrCreateKeyFile(dir);
    await chmod(join(dir, KEY_FILE_NAME), 0o644);
    await expect(loadOrCreateKeyFile(dir)).rejects.toMatchObject({
      code: 'SECRET_KEY_INVALID',
      message: /chmod 600/,
    });
  });
});
