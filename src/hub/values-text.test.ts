// A pack's values as YAML are written once while the pack is unchanged: writing a 900 KB pack's values took
// about a second on the event loop, for every viewer's request (review 5e). An updated pack is written anew.
import { describe, expect, it, vi } from 'vitest';
import type { DesiredPack } from '../engine/index.js';
import { desiredPack, helmPack, packNamespace } from '../engine/testing/packs.js';
import { Redactor } from '../profile/index.js';
import { UploadChecker } from './upload-checker.js';
import { NOTES_HIDDEN } from './present.js';
import { ValuesText } from './values-text.js';
import { loopStallProbe } from '../shared/testing/loop-stall.js';

const stringify = vi.hoisted(() => ({ calls: 0 }));
vi.mock('yaml', async (original) => {
  const yaml = await original<typeof import('yaml')>();
  return {
    ...yaml,
    stringify: (...args: Parameters<typeof yaml.stringify>) => {
      stringify.calls++;
      return yaml.stringify(...args);
    },
  };
});

const pack = (values: Record<string, string>): DesiredPack =>
  desiredPack(helmPack({ name: 'db', namespace: packNamespace('data'), values }), {
    profile: { name: 'data', version: '1.0.0' },
    redactor: new Redactor(['hunter2-secret']),
  });

describe('ValuesText', () => {
  it('writes the YAML once for the same desired pack, and again once the pack changed', async () => {
    const text = new ValuesText();
    const first = pack({ password: 'hunter2-secret', host: 'db' });
    const before = stringify.calls;
    const view = await text.view('c1/db', first, 'password hunter2-secret');
    expect(view).toMatchObject({
      yaml: 'password: "******"\nhost: db\n',
      masked: true,
      notes: NOTES_HIDDEN,
    });
    expect(await text.view('c1/db', first)).toEqual(withoutNotes(view));
    expect(stringify.calls - before).toBe(1);

    const updated = pack({ host: 'db2' });
    expect(await text.view('c1/db', updated)).toMatchObject({ yaml: 'host: db2\n', masked: false });
    expect(stringify.calls - before).toBe(2);
  });

  it("writes a large pack's YAML off the event loop, once for requests that arrive together", async () => {
    const text = new ValuesText();
    const values = Object.fromEntries(Array.from({ length: 45_000 }, (_, i) => [`k${i.toString(36)}`, 'v']));
    const large = pack({ ...values, password: 'hunter2-secret' });
    const before = stringify.calls;
    const stall = loopStallProbe();
    const started = performance.now();
    const views = await Promise.all([1, 2, 3].map(() => text.view('c1/db', large)));
    const took = performance.now() - started;
    const longest = stall.stop();
    // Written in the worker thread: the event loop's yaml.stringify was not called.
    expect(stringify.calls - before).toBe(0);
    expect(views[0]?.yaml).toMatch(/^k0: v\nk1: v\n[^]*\npassword: "\*{6}"\n$/);
    expect(views[1]?.yaml).toBe(views[0]?.yaml);
    // On the event loop, yaml.stringify of these values was one wait of about a second.
    expect(longest).toBeLessThan(took / 3);
  }, 30_000);

  it('drops the writing of a large pack once its request was closed, and keeps nothing of it', async () => {
    const text = new ValuesText();
    const values = Object.fromEntries(Array.from({ length: 8_000 }, (_, i) => [`k${i}`, 'value']));
    const desired = pack(values);
    const gaveUp = new AbortController();
    const view = text.view('c1/db', desired, undefined, undefined, gaveUp.signal);
    gaveUp.abort();
    await expect(view).rejects.toMatchObject({
      code: 'HUB_BUSY',
      message: 'pack values: the request was closed before it was answered: its work was dropped',
    });
    // Nothing was kept: the next request has it written.
    expect((await text.view('c1/db', desired)).yaml).toMatch(/^k0: value\n/u);
  }, 30_000);

  it("waits for the writing thread with the requesting token's share of its places", async () => {
    const text = new ValuesText();
    const write = vi.spyOn(UploadChecker.prototype, 'writeYaml');
    try {
      const values = Object.fromEntries(Array.from({ length: 8_000 }, (_, i) => [`k${i}`, 'value']));
      const owner = { key: 'viewer-token-id', privileged: false };
      await text.view('c1/db', pack(values), undefined, owner);
      expect(write.mock.calls.map((call) => call[1])).toEqual([owner]);
    } finally {
      write.mockRestore();
    }
  }, 30_000);
});

function withoutNotes<T extends { notes?: string }>(view: T): Omit<T, 'notes'> {
  const { notes: _notes, ...rest } = view;
  return rest;
}
