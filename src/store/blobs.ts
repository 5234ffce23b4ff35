// Content-addressed blobs: the local charts and manifest files of published profile versions. A blob is
// keyed by the sha256 of its content, so the same chart used by many versions is stored once, and what a
// version renders can never change under it (a different content is a different key).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { nowIso, type StoreContext } from './context.js';
import { StoreError, StoreErrorCode } from './errors.js';

/** One blob's limit: the whole bundle it arrives in is limited to the same (src/profile/bundle.ts). */
export const MAX_BLOB_BYTES = 20 * 1024 * 1024;

/** What one read of a streamed blob takes from the database. */
export const BLOB_CHUNK_BYTES = 1024 * 1024;

/** Contents of streamed blobs kept after their last reader closed, least recently used out first. */
export const STREAMED_BLOBS_KEPT_BYTES = 64 * 1024 * 1024;

/** A kept content nobody streamed in this long is dropped, so an idle hub holds none. */
export const STREAMED_BLOBS_KEPT_MS = 60_000;

export const blobDigest = (content: Uint8Array): string => createHash('sha256').update(content).digest('hex');

export class BlobsRepository {
  private readonly shared = new SharedContents();

  constructor(private readonly ctx: StoreContext) {}

  /** Stores `content` unless a blob with its digest exists already; returns the digest. */
  async put(content: Uint8Array): Promise<string> {
    return putBlob(this.ctx, content);
  }

  async get(digest: string): Promise<Buffer | undefined> {
    const row = await this.ctx.db
      .selectFrom('blobs')
      .select('content')
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row && Buffer.from(row.content);
  }

  /**
   * A blob as a stream of `chunkBytes` parts sent as the reader takes them. Undefined when there is no such
   * blob. Its content is read from the database once and shared (review 11, item 2: reading each part with
   * substr made SQLite load the whole blob per part, O(n^2) on the event loop): every reader of one digest
   * streams slices of the same Buffer, so N readers, stalled or not, hold one copy (review 10, item 2), and a
   * copy is kept a little while after its last reader within a byte budget (STREAMED_BLOBS_KEPT_BYTES).
   */
  async stream(
    digest: string,
    chunkBytes: number = BLOB_CHUNK_BYTES,
  ): Promise<{ readonly size: number; readonly stream: Readable } | undefined> {
    // The row is looked up on every request, so a deleted blob is not served from a kept copy.
    const row = await this.ctx.db
      .selectFrom('blobs')
      .select('size')
      .where('digest', '=', digest)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const content = await this.shared.open(digest, () => this.get(digest));
    if (content === undefined) return undefined;
    function* parts(whole: Buffer): Generator<Buffer> {
      for (let offset = 0; offset < whole.length; offset += chunkBytes)
        yield whole.subarray(offset, offset + chunkBytes);
    }
    // One part buffered ahead at most: highWaterMark counts bytes, and a part is taken when the buffer is empty.
    const stream = Readable.from(parts(content), { objectMode: false, highWaterMark: 1 });
    stream.once('close', () => {
      this.shared.close(digest);
    });
    return { size: content.length, stream };
  }

  /** How many blobs are stored and their total size: for tests and metrics. */
  async stats(): Promise<{ count: number; bytes: number }> {
    const row = await this.ctx.db
      .selectFrom('blobs')
      .select((eb) => [
        eb.fn.countAll<string | number>().as('count'),
        eb.fn.sum<string | number | null>('size').as('bytes'),
      ])
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), bytes: Number(row.bytes ?? 0) };
  }
}

export async function putBlob(ctx: StoreContext, content: Uint8Array): Promise<string> {
  if (content.length > MAX_BLOB_BYTES)
    throw new StoreError(
      StoreErrorCode.InvalidInput,
      `a file of ${content.length} bytes is over the limit of ${MAX_BLOB_BYTES} bytes (20 MiB)`,
      { entity: 'profile' },
    );
  const digest = blobDigest(content);
  await ctx.db
    .insertInto('blobs')
    .values({ digest, size: content.length, content, created_at: nowIso(ctx) })
    .onConflict((oc) => oc.column('digest').doNothing())
    .execute();
  return digest;
}

/**
 * The contents of blobs being streamed, one Buffer per digest however many read it (a digest names its
 * content, so a copy never goes stale), and those read lately, kept within a byte budget. A content is
 * released when its last reader's stream closes; readers that stall hold the one copy they share.
 */
class SharedContents {
  private readonly reading = new Map<string, { readers: number; content: Promise<Buffer | undefined> }>();
  /** In insertion order, the most recently used last. */
  private readonly kept = new Map<string, { content: Buffer; timer: NodeJS.Timeout }>();
  private keptBytes = 0;

  /** The content of `digest`, read by `read` unless a reader has it or it is kept; pair with close(). */
  open(digest: string, read: () => Promise<Buffer | undefined>): Promise<Buffer | undefined> {
    const shared = this.reading.get(digest);
    if (shared !== undefined) {
      shared.readers += 1;
      return shared.content;
    }
    const kept = this.kept.get(digest);
    if (kept !== undefined) this.unkeep(digest);
    const content = kept === undefined ? read() : Promise.resolve(kept.content);
    this.reading.set(digest, { readers: 1, content });
    // A failed or empty read is not shared with later readers (none of its readers has a stream to close).
    const forget = () => {
      if (this.reading.get(digest)?.content === content) this.reading.delete(digest);
    };
    content.then((value) => {
      if (value === undefined) forget();
    }, forget);
    return content;
  }

  close(digest: string): void {
    const shared = this.reading.get(digest);
    if (shared === undefined) return;
    shared.readers -= 1;
    if (shared.readers > 0) return;
    this.reading.delete(digest);
    void shared.content.then(
      (content) => {
        if (content !== undefined && !this.reading.has(digest)) this.keep(digest, content);
      },
      () => undefined,
    );
  }

  private keep(digest: string, content: Buffer): void {
    this.unkeep(digest);
    if (content.length > STREAMED_BLOBS_KEPT_BYTES) return;
    while (this.keptBytes + content.length > STREAMED_BLOBS_KEPT_BYTES) {
      const oldest = this.kept.keys().next();
      if (oldest.done === true) break;
      this.unkeep(oldest.value);
    }
    const timer = setTimeout(() => {
      this.unkeep(digest);
    }, STREAMED_BLOBS_KEPT_MS);
    timer.unref();
    this.kept.set(digest, { content, timer });
    this.keptBytes += content.length;
  }

  private unkeep(digest: string): void {
    const kept = this.kept.get(digest);
    if (kept === undefined) return;
    clearTimeout(kept.timer);
    this.kept.delete(digest);
    this.keptBytes -= kept.content.length;
  }
}
