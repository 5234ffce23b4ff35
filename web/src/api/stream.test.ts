import { describe, expect, it } from 'vitest';
import { parseSse } from './stream';

describe('parseSse', () => {
  it('splits complete messages, skips comments and keeps the unfinished rest', () => {
    const { messages, rest } = parseSse(
      ': connected\n\nid: 4\nevent: pack.status\ndata: {"a":1}\n\nevent: cluster.connection\ndata: {"b"',
    );
    expect(messages).toEqual([{ id: '4', event: 'pack.status', data: '{"a":1}' }]);
    expect(rest).toBe('event: cluster.connection\ndata: {"b"');
    const more = parseSse(`${rest}:2}\n\n`);
    expect(more.messages).toEqual([{ event: 'cluster.connection', data: '{"b":2}' }]);
    expect(more.rest).toBe('');
  });
});
