// Verified API tokens are kept for a moment (tokens.ts): a page read does not ask the store for its token each
// time, and a revocation still ends the token at once on this hub and within VERIFIED_FOR_MS elsewhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_TOKEN_PREFIX, TokenRole } from '../store/index.js';
import { SqliteBackend } from '../store/testing/backends.js';
import { Tokens, VERIFIED_FOR_MS } from './tokens.js';

const backend = new SqliteBackend();
beforeAll(() => backend.setup());
afterAll(() => backend.teardown());

/** The hub's tokens over a fresh store, a clock the test moves, and how often the store was asked. */
async function setup() {
  const { store } = await backend.open();
  let now = 1_000_000;
  const tokens = new Tokens(store, { now: () => now });
  const asked = { count: 0 };
  const verify = store.tokens.verify.bind(store.tokens);
  store.tokens.verify = (plaintext: string) => {
    asked.count++;
    return verify(plaintext);
  };
  const { token, plaintext } = await store.tokens.create({ role: TokenRole.Viewer, name: 'reader' });
  const actor = { name: 'test' };
  return {
    store,
    tokens,
    token,
    plaintext,
    actor,
    asked,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('Tokens.verify', () => {
  it('does not ask the store again for a token it verified a moment ago', async () => {
    const t = await setup();
    expect((await t.tokens.verify(t.plaintext))?.id).toBe(t.token.id);
    expect((await t.tokens.verify(t.plaintext))?.id).toBe(t.token.id);
    expect(t.asked.count).toBe(1);
    t.advance(VERIFIED_FOR_MS);
    expect((await t.tokens.verify(t.plaintext))?.id).toBe(t.token.id);
    expect(t.asked.count).toBe(2);
  });

  it('refuses a token revoked through this hub at once', async () => {
    const t = await setup();
    await t.tokens.verify(t.plaintext);
    await t.tokens.revoke(t.token.id, t.actor);
    expect(await t.tokens.verify(t.plaintext)).toBeUndefined();
  });

  it('refuses a token revoked elsewhere (another replica) once VERIFIED_FOR_MS has passed', async () => {
    const t = await setup();
    await t.tokens.verify(t.plaintext);
    await t.store.tokens.delete(t.token.id);
    t.advance(VERIFIED_FOR_MS);
    expect(await t.tokens.verify(t.plaintext)).toBeUndefined();
  });

  it('does not keep a verification that was in flight when a revoke committed', async () => {
    const t = await setup();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const verify = t.store.tokens.verify.bind(t.store.tokens);
    t.store.tokens.verify = async (plaintext: string) => {
      const found = await verify(plaintext);
      await gate;
      return found;
    };
    // Read while the token existed, answered after the revoke.
    const inFlight = t.tokens.verify(t.plaintext);
    await new Promise((resolve) => setImmediate(resolve));
    await t.tokens.revoke(t.token.id, t.actor);
    release();
    expect((await inFlight)?.id).toBe(t.token.id);
    expect(await t.tokens.verify(t.plaintext)).toBeUndefined();
  });

  it('asks the store once for requests that arrive together with a token it does not keep', async () => {
    const t = await setup();
    const together = await Promise.all(Array.from({ length: 20 }, () => t.tokens.verify(t.plaintext)));
    expect(together.map((token) => token?.id)).toEqual(Array(20).fill(t.token.id));
    expect(t.asked.count).toBe(1);
    t.advance(VERIFIED_FOR_MS);
    await Promise.all(Array.from({ length: 20 }, () => t.tokens.verify(t.plaintext)));
    expect(t.asked.count).toBe(2);
  });

  it('lets no request that arrives after a revoke join a lookup begun before it', async () => {
    const t = await setup();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const verify = t.store.tokens.verify.bind(t.store.tokens);
    t.store.tokens.verify = async (plaintext: string) => {
      const found = await verify(plaintext);
      await gate;
      return found;
    };
    const before = t.tokens.verify(t.plaintext);
    await new Promise((resolve) => setImmediate(resolve));
    await t.tokens.revoke(t.token.id, t.actor);
    const after = t.tokens.verify(t.plaintext);
    release();
    expect((await before)?.id).toBe(t.token.id);
    expect(await after).toBeUndefined();
    expect(t.asked.count).toBe(2);
  });

  it('keeps no unknown token', async () => {
    const t = await setup();
    const unknown = `${t.plaintext.slice(0, -4)}AAAA`;
    expect(await t.tokens.verify(unknown)).toBeUndefined();
    expect(await t.tokens.verify(unknown)).toBeUndefined();
    expect(t.asked.count).toBe(2);
  });
});

describe('Tokens.kept', () => {
  it('answers, without the store or a promise, a token verified a moment ago; nothing once it expired or was revoked', async () => {
    const t = await setup();
    expect(t.tokens.kept(t.plaintext)).toBeUndefined();
    await t.tokens.verify(t.plaintext);
    expect(t.tokens.kept(t.plaintext)?.id).toBe(t.token.id);
    expect(t.asked.count).toBe(1);
    t.advance(VERIFIED_FOR_MS);
    expect(t.tokens.kept(t.plaintext)).toBeUndefined();
    await t.tokens.verify(t.plaintext);
    await t.tokens.revoke(t.token.id, t.actor);
    expect(t.tokens.kept(t.plaintext)).toBeUndefined();
  });

  it('keeps no agent token: those are always asked of the store', async () => {
    const t = await setup();
    expect(t.tokens.kept(`${AGENT_TOKEN_PREFIX}whatever`)).toBeUndefined();
  });
});
