// Content-addressed blobs: the local charts and manifest files of published profile versions. A blob is
// keyed by the sha256 of its content, so the same chart used by many versions is stored once, and what a
// version renders can never change under it (a different content is a different key).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { nowIso, type StoreContext } from './context.js';
import { StoreError, StoreErrorCode } from './errors.js';

/** One blob's limit: the whole bundle it arrives in is limited to the same (src/profile/bundle.ts). */
export const MAX_BLOB_BYTES = 20 * 1024 * 1024;

/** What one read of a streamed blob takes from the database. */
export const BLOB_CHUNK_BYTES = 1024 * 1024;

export const blobDigest = (content: Uint8Array): string => createHash('sha256').update(content).digest('hex');

export class BlobsRepository {
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
   * A blob as a stream of `chunkBytes` parts read from the database one at a time, as the reader takes them
   * (review 10, item 2): a reader that stops reading holds one part, not the whole blob (up to 20 MiB) for as
   * long as it stalls. Undefined when there is no such blob. A blob deleted while it is read ends the stream
   * with an error naming it (the reader gets fewer than `size` bytes).
   */
  async stream(
    digest: string,
    chunkBytes: number = BLOB_CHUNK_BYTES,
  ): Promise<{ readonly size: number; readonly stream: Readable } | undefined> {
    const row = await this.ctx.db
      .selectFrom('blobs')
      .select('size')
      .where('digest', '=', digest)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const size = row.size;
    const slice = (offset: number) => this.slice(digest, offset, chunkBytes);
    async function* parts(): AsyncGenerator<Buffer> {
      for (let offset = 0; offset < size; offset += chunkBytes) {
        const part = await slice(offset);
        if (part === undefined || part.length === 0)
          throw new StoreError(
            StoreErrorCode.NotFound,
            `blob ${digest} was deleted while it was read (at byte ${offset} of ${size})`,
          );
        yield part;
      }
    }
    // One part buffered ahead at most: highWaterMark counts bytes, and a part is read when the buffer is empty.
    return { size, stream: Readable.from(parts(), { objectMode: false, highWaterMark: 1 }) };
  }

  /** `length` bytes of a blob from `offset` (fewer at its end); undefined when there is no such blob. */
  async slice(digest: string, offset: number, length: number): Promise<Buffer | undefined> {
    const row = await this.ctx.db
      .selectFrom('blobs')
      // substr counts from 1, on SQLite blobs and PostgreSQL bytea alike.
      .select(sql<Uint8Array>`substr(content, ${offset + 1}, ${length})`.as('part'))
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row && Buffer.from(row.part);
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
