import { mkdtempSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.js';
import type { AgentEvent } from './protocol.js';

const removed = (pack: string): AgentEvent => ({
  type: 'PackRemoved',
  pack,
  time: '2026-01-01T00:00:00.000Z',
});

describe('the agent outbox', () => {
  it('keeps what the hub has not acknowledged across a restart, in order, in the same stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    const first = await Outbox.open(dir);
    for (const pack of ['a', 'b', 'c']) void first.push(removed(pack));
    await first.flushed();
    await first.ack(1);
    const again = await Outbox.open(dir);
    expect(again.streamId).toBe(first.streamId);
    expect(again.peek(10, 1 << 20).map((i) => [i.seq, (i.event as { pack: string }).pack])).toEqual([
      [2, 'b'],
      [3, 'c'],
    ]);
    // Numbering goes on after the last event kept.
    await again.push(removed('d'));
    expect(again.peek(10, 1 << 20).map((i) => i.seq)).toEqual([2, 3, 4]);
  });

  it('drops a last line cut short by a crash, and empties the file once everything is acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    const outbox = await Outbox.open(dir);
    await outbox.push(removed('a'));
    appendFileSync(join(dir, 'outbox.jsonl'), '{"seq":2,"ev');
    const reopened = await Outbox.open(dir);
    expect(reopened.size).toBe(1);
    await reopened.ack(1);
    expect(readFileSync(join(dir, 'outbox.jsonl'), 'utf8')).toBe('');
    expect(reopened.size).toBe(0);
  });

  it('sends in batches bounded by count and bytes, and starts a new stream from 1 when the hub lost this one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    const outbox = await Outbox.open(dir);
    for (let i = 0; i < 5; i++) void outbox.push(removed(`p${i}`));
    await outbox.ack(2);
    expect(outbox.peek(2, 1 << 20).map((i) => i.seq)).toEqual([3, 4]);
    expect(outbox.peek(10, 10).map((i) => i.seq)).toEqual([3]);
    const before = outbox.streamId;
    await outbox.restart();
    expect(outbox.streamId).not.toBe(before);
    expect(outbox.peek(10, 1 << 20).map((i) => [i.seq, (i.event as { pack: string }).pack])).toEqual([
      [1, 'p2'],
      [2, 'p3'],
      [3, 'p4'],
    ]);
    const reopened = await Outbox.open(dir);
    expect(reopened.streamId).toBe(outbox.streamId);
    expect(reopened.peek(10, 1 << 20).map((i) => i.seq)).toEqual([1, 2, 3]);
  });
});
