// Content-addressed blobs: the local charts and manifest files of published profile versions. A blob is
// keyed by the sha256 of its content, so the same chart used by many versions is stored once, and what a
// version renders can never change under it (a different content is a different key).
import { createHash } from 'node:crypto';
import { nowIso, type StoreContext } from './context.js';
import { StoreError, StoreErrorCode } from './errors.js';

/** One blob's limit: the whole bundle it arrives in is limited to the same (src/profile/bundle.ts). */
export const MAX_BLOB_BYTES = 20 * 1024 * 1024;

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
