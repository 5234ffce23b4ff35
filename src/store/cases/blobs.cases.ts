import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { MAX_BLOB_BYTES } from '../blobs.js';
import { StoreErrorCode } from '../errors.js';
import type { TestBackend } from '../testing/backends.js';
import { profileFixture } from '../testing/fixtures.js';
import { expectStoreError } from './expect-error.js';

const digest = (content: Buffer) => createHash('sha256').update(content).digest('hex');

export function blobCases(env: TestBackend): void {
  describe('profile blobs', () => {
    const chart = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x01, 0x02]);
    const cm = Buffer.from('apiVersion: v1\nkind: ConfigMap\n');

    it('stores each file once by digest, records path → digest per version, and gives the bytes back', async () => {
      const { store, url } = await env.open();
      const files = new Map([
        ['charts/web', chart],
        ['files/cm.yaml', cm],
      ]);
      const v1 = await store.profiles.publish({ ...profileFixture('web', '1.0.0'), files });
      expect(v1.blobs).toEqual({ 'charts/web': digest(chart), 'files/cm.yaml': digest(cm) });
      // The same chart in the next version under another path: no second copy.
      await store.profiles.publish({
        ...profileFixture('web', '1.1.0'),
        files: new Map([['charts/web-renamed', chart]]),
      });
      expect(await store.blobs.stats()).toEqual({ count: 2, bytes: chart.length + cm.length });
      expect((await store.profiles.get('web', '1.0.0'))?.blobs).toEqual(v1.blobs);
      expect(await store.blobs.get(digest(chart))).toEqual(chart);
      // Binary content survives the round trip on this backend's column type.
      const rows = await env.query(url, `select size from blobs order by size`);
      expect(rows.map((r) => Number(r.size))).toEqual([chart.length, cm.length].sort((a, b) => a - b));
    });

    it('makes the files part of the version: same files are idempotent, a changed file is a conflict', async () => {
      const { store } = await env.open();
      const input = { ...profileFixture('web', '1.0.0'), files: new Map([['files/cm.yaml', cm]]) };
      const published = await store.profiles.publish(input);
      expect(await store.profiles.publish(input)).toEqual(published);
      await expectStoreError(
        store.profiles.publish({ ...input, files: new Map([['files/cm.yaml', Buffer.from('changed')]]) }),
        StoreErrorCode.ProfileVersionConflict,
      );
      expect(await store.blobs.get(digest(Buffer.from('changed')))).toBeUndefined();
      expect(await store.blobs.stats()).toEqual({ count: 1, bytes: cm.length });
    });

    it('keeps a draft files when it is published', async () => {
      const { store } = await env.open();
      await store.profiles.saveDraft({
        ...profileFixture('web', '2.0.0'),
        files: new Map([['files/cm.yaml', cm]]),
      });
      const published = await store.profiles.publishDraft('web', '2.0.0');
      expect(published).toMatchObject({ published: true, blobs: { 'files/cm.yaml': digest(cm) } });
    });

    it('refuses a file over the limit with a clear error and stores nothing of the version', async () => {
      const { store } = await env.open();
      const files = new Map([
        ['files/cm.yaml', cm],
        ['charts/huge', Buffer.alloc(MAX_BLOB_BYTES + 1)],
      ]);
      const error = await expectStoreError(
        store.profiles.publish({ ...profileFixture('web', '1.0.0'), files }),
        StoreErrorCode.InvalidInput,
      );
      expect(error.message).toBe(
        `a file of ${MAX_BLOB_BYTES + 1} bytes is over the limit of ${MAX_BLOB_BYTES} bytes (20 MiB)`,
      );
      expect(await store.profiles.get('web', '1.0.0')).toBeUndefined();
      expect(await store.blobs.stats()).toEqual({ count: 0, bytes: 0 });
    });

    // Security review 10, item 2: a chart served to an agent was one Buffer per request, held for as long as
    // the reader stalled. It is read a part at a time now, as the reader takes them.
    it('streams a blob a part at a time, reading no further ahead than one part of a stalled reader', async () => {
      const { store } = await env.open();
      const content = randomBytes(1024 * 1024);
      const key = await store.blobs.put(content);
      const part = 64 * 1024;
      const opened = await store.blobs.stream(key, part);
      if (opened === undefined) throw new Error('the blob was just stored');
      expect(opened.size).toBe(content.length);
      let received = 0;
      const stalled = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _encoding, _callback) {
          received += chunk.length; // never calls back: a reader that stopped reading
        },
      });
      opened.stream.pipe(stalled);
      // Stalled: the reader's buffer is full and the stream holds the part it read ahead, and reads no more.
      await vi.waitFor(() => {
        expect(stalled.writableNeedDrain).toBe(true);
        expect(opened.stream.readableLength).toBeGreaterThan(0);
      });
      expect(received).toBe(part);
      expect(opened.stream.readableLength).toBeLessThanOrEqual(part);
      opened.stream.destroy();

      // Read to the end, every byte comes back (binary on this backend's column type).
      const whole = await store.blobs.stream(key, part);
      const parts: Buffer[] = [];
      for await (const chunk of whole?.stream ?? []) parts.push(chunk as Buffer);
      expect(Buffer.concat(parts).equals(content)).toBe(true);
      expect(await store.blobs.stream('0'.repeat(64))).toBeUndefined();
    });

    // Security review 11, item 2: each part was read with substr, and SQLite loads the whole blob for each,
    // O(n^2) per download on the event loop. The content is read once and shared by every reader of it.
    it('reads a streamed blob from the database once, however many stream it, sharing one copy', async () => {
      const { store, url } = await env.open();
      const content = randomBytes(300 * 1024);
      const key = await store.blobs.put(content);
      const reads = vi.spyOn(store.blobs, 'get');
      const opened = await Promise.all([1, 2, 3].map(() => store.blobs.stream(key, 64 * 1024)));
      const chunks = await Promise.all(
        opened.map(async (o) => {
          const parts: Buffer[] = [];
          for await (const chunk of o?.stream ?? []) parts.push(chunk as Buffer);
          return parts;
        }),
      );
      for (const parts of chunks) expect(Buffer.concat(parts).equals(content)).toBe(true);
      // One copy: every reader's parts are views of the same memory.
      const memory = new Set(chunks.flat().map((chunk) => chunk.buffer));
      expect(memory.size).toBe(1);
      // Read again after the others closed: from the kept copy.
      const again = await store.blobs.stream(key);
      const whole: Buffer[] = [];
      for await (const chunk of again?.stream ?? []) whole.push(chunk as Buffer);
      expect(Buffer.concat(whole).equals(content)).toBe(true);
      expect(reads).toHaveBeenCalledTimes(1);
      // A deleted blob is not served from the kept copy.
      await env.query(url, 'delete from blobs');
      expect(await store.blobs.stream(key)).toBeUndefined();
    });
  });
}
