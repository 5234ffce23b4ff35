// Multi-row statements in slices whose row counts are powers of two. Each row count is its own SQL text, and each
// text is prepared once and kept (prepared.ts): on SQLite a compiled program of ~1.5 KiB per row for a status
// upsert, ~0.4 KiB per row for an event insert. Batches of any size made one text per size, up to the chunk
// limit: at 10,000 watched objects a hub held ~120 such statements, up to 500 (issue 15: memory per object).
// In power-of-two slices a store prepares at most log2(max) + 1 texts per statement, whatever the batch sizes,
// for a few more statements per batch (at most that many).

/**
 * `items` in order, in consecutive slices of 2^k items, largest first, none larger than `max` (a power of two):
 * 100 items with max 64 are sent as 64, 32 and 4.
 */
export function* powerOfTwoChunks<T>(items: readonly T[], max: number): Generator<readonly T[]> {
  if (!Number.isInteger(Math.log2(max))) throw new RangeError(`chunk limit ${max} is not a power of two`);
  let start = 0;
  while (start < items.length) {
    let size = max;
    while (size > items.length - start) size /= 2;
    yield items.slice(start, start + size);
    start += size;
  }
}
