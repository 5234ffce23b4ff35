// The writer against a real (in-memory SQLite) store, with one write held in flight to interleave statuses
// exactly as a burst of watch events does.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noRedaction, Redactor } from '../profile/index.js';
import { cutText } from '../shared/kept-text.js';
import { createStore, type Store } from '../store/index.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import type { PackTransition } from '../status/index.js';
import {
  MAX_TRANSITIONS_PER_WRITE,
  redactStatus,
  StatusWriter,
  TRANSITION_TEXT_MAX,
} from './status-writer.js';

let store: Store;
const errors: unknown[] = [];

beforeEach(async () => {
  store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
  await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
  errors.length = 0;
});
afterEach(async () => {
  await store.close();
});

function deferred() {
  let resolve: (value: undefined) => void = () => undefined;
  const promise = new Promise<undefined>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Holds the next `record` call until `release()`; the ones after it go straight through. */
function holdNextWrite(target: Store) {
  const record = target.packStatus.record.bind(target.packStatus);
  const released = deferred();
  const started = deferred();
  let held = false;
  target.packStatus.record = async (input) => {
    if (!held) {
      held = true;
      started.resolve(undefined);
      await released.promise;
    }
    return record(input);
  };
  return {
    inFlight: started.promise,
    release: () => {
      released.resolve(undefined);
    },
  };
}

const t = (s: number) => `2026-01-01T00:00:0${s}.000Z`;
const stored = async () => (await store.history.transitions('prod', 'p')).map((x) => `${x.from}→${x.to}`);

describe('StatusWriter', () => {
  it('stores every transition once, whatever arrives while a write is in flight', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const gate = holdNextWrite(store);
    const s1 = advance(packStatus('onboarding'), 'processing', t(1));
    writer.status('prod', 'p', s1, noRedaction);
    await gate.inFlight; // s1's write has started and waits
    // A status with no new transition (a message change), then one that turns green, both during that write.
    writer.status('prod', 'p', { ...s1, message: '2/3 resources ready' }, noRedaction);
    const s3 = advance(s1, 'success', t(3));
    writer.status('prod', 'p', s3, noRedaction);
    gate.release();
    await writer.drain();
    expect(errors).toEqual([]);
    expect(await stored()).toEqual(['onboarding→processing', 'processing→success']);
    expect((await store.packStatus.get('prod', 'p'))?.phase).toBe('success');
  });

  it('coalesces a burst into one write that carries all of its transitions', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const s1 = advance(packStatus('onboarding'), 'processing', t(1));
    const s2 = advance(s1, 'failed', t(2));
    const s3 = advance(s2, 'processing', t(3));
    for (const s of [s1, s2, s3]) writer.status('prod', 'p', s, noRedaction);
    await writer.drain();
    expect(await stored()).toEqual(['onboarding→processing', 'processing→failed', 'failed→processing']);
    expect(
      (await store.eventsSince(0, { cluster: 'prod' })).filter((e) => e.kind === 'pack.status'),
    ).toHaveLength(1);
  });

  it('stores at most MAX_TRANSITIONS_PER_WRITE new transitions per write, their texts cut (a hostile agent)', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    let status = packStatus('onboarding');
    for (let i = 0; i < 40; i++)
      status = advance(status, i % 2 === 0 ? 'processing' : 'failed', t(1 + (i % 9)));
    const huge = 'x'.repeat(900_000);
    const last = status.transitions.at(-1);
    const flooded = {
      ...status,
      transitions: [
        ...status.transitions.slice(0, -1),
        { ...(last as PackTransition), message: huge, reason: huge },
      ],
    };
    writer.status('prod', 'p', flooded, noRedaction);
    await writer.drain();
    expect(errors).toEqual([]);
    const history = await store.history.transitions('prod', 'p');
    expect(history).toHaveLength(MAX_TRANSITIONS_PER_WRITE);
    expect(history.at(-1)?.message).toHaveLength(TRANSITION_TEXT_MAX);
    expect(history.at(-1)?.message).toBe(cutText(huge, TRANSITION_TEXT_MAX));
    expect(history.at(-1)?.message).toMatch(/^x+…\[\d+ more characters cut by the hub\]$/u);
    expect(history.at(-1)?.reason).toHaveLength(TRANSITION_TEXT_MAX);
    // The next status adds one more transition: that one is stored, not the dropped older ones.
    writer.status('prod', 'p', advance(flooded, 'success', t(9)), noRedaction);
    await writer.drain();
    expect((await store.history.transitions('prod', 'p')).map((x) => x.to).slice(-2)).toEqual([
      'failed',
      'success',
    ]);
    expect(await store.history.transitions('prod', 'p')).toHaveLength(MAX_TRANSITIONS_PER_WRITE + 1);
  });

  it('caps a coalesced burst once, at the write: the newest transitions, none twice', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    let status = packStatus('onboarding');
    for (let i = 0; i < 20; i++)
      status = advance(status, i % 2 === 0 ? 'processing' : 'failed', t(1 + (i % 9)));
    const next = advance(status, 'success', t(9));
    writer.status('prod', 'p', status, noRedaction);
    writer.status('prod', 'p', next, noRedaction);
    await writer.drain();
    const history = await store.history.transitions('prod', 'p');
    expect(history.map((x) => `${x.from}→${x.to}`)).toEqual(
      next.transitions.slice(-MAX_TRANSITIONS_PER_WRITE).map((x) => `${x.from}→${x.to}`),
    );
  });

  it('gives the transitions of a failed write to the next one', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const record = store.packStatus.record.bind(store.packStatus);
    let fail = true;
    store.packStatus.record = (input) => {
      if (fail) {
        fail = false;
        return Promise.reject(new Error('database is locked'));
      }
      return record(input);
    };
    const s1 = advance(packStatus('onboarding'), 'processing', t(1));
    writer.status('prod', 'p', s1, noRedaction);
    await writer.drain();
    expect(errors).toHaveLength(1);
    writer.status('prod', 'p', advance(s1, 'success', t(2)), noRedaction);
    await writer.drain();
    expect(await stored()).toEqual(['onboarding→processing', 'processing→success']);
  });

  it('stores a sensitive value echoed by the cluster only redacted, in every text of the status and its events', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const secret = 'canary-7f3a9c';
    const echoed = `Secret "db" is invalid: data[password]: Invalid value: "${secret}"`;
    const reached = advance(advance(packStatus('onboarding'), 'processing', t(1)), 'failed', t(2));
    const failed = {
      ...reached,
      stage: { type: 'ApplyFailed', error: echoed } as const,
      reason: `ApplyFailed ${secret}`,
      message: echoed,
      resources: reached.resources.map((r) => ({
        ...r,
        evaluation: { ...r.evaluation, reason: secret, message: echoed },
      })),
      transitions: reached.transitions.map((x) => ({ ...x, message: echoed })),
    };
    writer.status('prod', 'p', failed, new Redactor([secret]));
    await writer.drain();
    expect(errors).toEqual([]);
    const everything = JSON.stringify([
      await store.packStatus.get('prod', 'p'),
      await store.history.transitions('prod', 'p'),
      await store.eventsSince(0),
    ]);
    expect(everything).toContain(String.raw`Invalid value: \"******\"`);
    expect(everything).not.toContain(secret);
    // The phases, times and references are the product's own words and stay as they were.
    expect(await stored()).toEqual(['onboarding→processing', 'processing→failed']);
  });

  it('masks the whole cluster word a weak secret is part of in a status message, not only the secret (review 14, item 7)', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const message = 'Pod data/app-postgres-0: dial tcp app-postgres.db.svc:5432: connection refused';
    writer.status(
      'prod',
      'p',
      { ...advance(packStatus('onboarding'), 'failed', t(1)), message },
      new Redactor(['postgres']),
    );
    await writer.drain();
    expect(errors).toEqual([]);
    expect((await store.packStatus.get('prod', 'p'))?.message).toBe(
      'Pod data/******: dial tcp ******:5432: connection refused',
    );
  });

  it("masks the whole word a weak secret is part of in helm's error, not only the secret (review 14, item 7)", async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const error =
      'helm upgrade failed: template: db/templates/secret.yaml:7:20: executing "db/templates/secret.yaml" at <.Values.auth.postgresPassword>: wrong type';
    const failed = {
      ...advance(packStatus('onboarding'), 'failed', t(1)),
      stage: { type: 'RenderFailed', error } as const,
    };
    writer.status('prod', 'p', failed, new Redactor(['postgres']));
    await writer.drain();
    expect(errors).toEqual([]);
    expect((await store.packStatus.get('prod', 'p'))?.stage).toEqual({
      type: 'RenderFailed',
      error:
        'helm upgrade failed: template: db/templates/secret.yaml:7:20: executing "db/templates/secret.yaml" at <******>: wrong type',
    });
  });

  it('stores the status still pending when its pack is removed, so the uninstall stays in the history', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const green = advance(advance(packStatus('onboarding'), 'processing', t(1)), 'success', t(2));
    writer.status('prod', 'p', green, noRedaction);
    await writer.drain();
    // The uninstall turns it blue and the pack is gone before that status was written.
    writer.status('prod', 'p', advance(green, 'processing', t(3)), noRedaction);
    writer.removed('prod', 'p');
    await writer.drain();
    expect(errors).toEqual([]);
    expect(await stored()).toEqual(['onboarding→processing', 'processing→success', 'success→processing']);
    expect(await store.packStatus.get('prod', 'p')).toBeUndefined();
    expect((await store.eventsSince(0, { cluster: 'prod' })).at(-1)?.kind).toBe('pack.removed');
  });

  it('still redacts the old value after it changed, when the new revision quotes the previous one', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const failed = (revision: string, message: string) => ({
      ...advance(packStatus('onboarding', { revision }), 'failed', t(1)),
      message,
    });
    const before = new Redactor(['old-secret-1']);
    const after = new Redactor(['new-secret-2']);
    writer.status('prod', 'p', failed('r1', 'image app:old-secret-1 not found'), before);
    // The new values are set: the old revision's last status arrives with the new redactor already.
    writer.status('prod', 'p', failed('r1', 'image app:old-secret-1 not found (2)'), after);
    const quoted =
      'applying the new revision (failed under the previous one: image app:old-secret-1 not found)';
    writer.status('prod', 'p', { ...failed('r2', quoted), reason: 'new-secret-2' }, after);
    await writer.drain();
    const everything = JSON.stringify(await store.eventsSince(0));
    expect(everything).toContain('failed under the previous one: image app:******');
    expect(everything).not.toContain('old-secret-1');
    expect(everything).not.toContain('new-secret-2');
  });

  it('keeps a removal and the new life of a pack added again before the removal was stored', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const green = advance(advance(packStatus('onboarding'), 'processing', t(1)), 'success', t(2));
    writer.status('prod', 'p', green, noRedaction);
    await writer.drain();
    // Detached and attached again within one burst: the new life starts from scratch, in onboarding.
    writer.removed('prod', 'p');
    const reborn = advance(packStatus('onboarding'), 'processing', t(4));
    writer.status('prod', 'p', reborn, noRedaction);
    writer.status('prod', 'p', advance(reborn, 'success', t(5)), noRedaction);
    await writer.drain();
    expect(errors).toEqual([]);
    const kinds = (await store.eventsSince(0, { cluster: 'prod' })).map((e) => e.kind);
    expect(kinds.indexOf('pack.removed')).toBeGreaterThan(0);
    expect(kinds.at(-1)).toBe('pack.status');
    // The store bridges the new life onto the old chain; none of the new life's transitions is lost.
    expect(await stored()).toEqual([
      'onboarding→processing',
      'processing→success',
      'success→onboarding',
      'onboarding→processing',
      'processing→success',
    ]);
    expect((await store.packStatus.get('prod', 'p'))?.phase).toBe('success');
  });
  it('stores a burst over many packs in one transaction, with the events in the order the statuses came', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const batches: number[] = [];
    const recordMany = store.packStatus.recordMany.bind(store.packStatus);
    store.packStatus.recordMany = async (inputs) => {
      batches.push(inputs.length);
      return recordMany(inputs);
    };
    const packs = Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    for (const pack of packs) writer.status('prod', pack, packStatus('processing'), noRedaction);
    await writer.drain();
    expect(batches).toEqual([50]);
    expect((await store.packStatus.list('prod')).map((p) => p.pack)).toEqual(packs);
    const events = await store.eventsSince(0, { cluster: 'prod' });
    expect(events.filter((e) => e.kind === 'pack.status').map((e) => e.pack)).toEqual(packs);
    expect(errors).toEqual([]);
  });

  it('stores the rest of a failed batch one by one and reports only the status that cannot be stored', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    await store.clusters.create({ name: 'gone', kubeconfig: 'k' });
    await store.clusters.delete('gone');
    writer.status('prod', 'a', packStatus('processing'), noRedaction);
    writer.status('gone', 'x', packStatus('processing'), noRedaction);
    writer.status('prod', 'b', packStatus('success'), noRedaction);
    await writer.drain();
    expect((await store.packStatus.list('prod')).map((p) => [p.pack, p.phase])).toEqual([
      ['a', 'processing'],
      ['b', 'success'],
    ]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/cluster "gone"/);
    // Counted against the cluster whose status it was: an agent of "prod" would see no failure of its own.
    expect(writer.failures('gone')).toBe(1);
    expect(writer.failures('prod')).toBe(0);
  });

  it('counts the failed writes of each cluster, so a batch waiting on drain knows it was not all stored', async () => {
    const writer = new StatusWriter(store, (e) => errors.push(e));
    const record = store.packStatus.record.bind(store.packStatus);
    let fail = true;
    store.packStatus.record = (input) => (fail ? Promise.reject(new Error('disk I/O error')) : record(input));
    writer.status('prod', 'p', advance(packStatus('onboarding'), 'processing', t(1)), noRedaction);
    await writer.drain();
    expect(writer.failures('prod')).toBe(1);
    fail = false;
    writer.status('prod', 'p', advance(packStatus('onboarding'), 'processing', t(1)), noRedaction);
    await writer.drain();
    expect(writer.failures('prod')).toBe(1);
    expect(await stored()).toEqual(['onboarding→processing']);
  });
});

describe('redactStatus', () => {
  const secret = 'canary-7f3a9c';
  const reached = advance(packStatus('onboarding', { resourceCount: 4 }), 'processing', t(1));

  it('returns the status itself when the pack has no sensitive value or none is quoted: nothing is copied', () => {
    expect(redactStatus(reached, noRedaction)).toBe(reached);
    expect(redactStatus(reached, new Redactor([secret]))).toBe(reached);
  });

  it('copies only the resources and transitions that quote a secret; the others stay the same objects', () => {
    const quoted = `Invalid value: "${secret}"`;
    const status = {
      ...reached,
      resources: reached.resources.map((r, i) =>
        i === 2 ? { ...r, evaluation: { ...r.evaluation, message: quoted } } : r,
      ),
    };
    const redacted = redactStatus(status, new Redactor([secret]));
    expect(redacted.resources[2]?.evaluation.message).toBe('Invalid value: "******"');
    expect(status.resources[2]?.evaluation.message).toBe(quoted);
    for (const i of [0, 1, 3]) expect(redacted.resources[i]).toBe(status.resources[i]);
    expect(redacted.transitions).toBe(status.transitions);
    expect(redacted.stage).toBe(status.stage);
  });
});
