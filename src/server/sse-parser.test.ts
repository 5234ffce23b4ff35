import { describe, expect, it } from 'vitest';
import { SseParser, type SseItem } from './sse-parser.js';

const messages = (items: SseItem[]) => items.flatMap((i) => (i.type === 'message' ? [i.message] : []));

describe('SseParser', () => {
  it('parses what the hub sends: a comment, then id/event/data messages', () => {
    const parser = new SseParser();
    const items = parser.push(
      ': connected\n\nid: 7\nevent: pack.status\ndata: {"id":7,"kind":"pack.status"}\n\n' +
        'event: cluster.connection\ndata: {"kind":"cluster.connection"}\n\n',
    );
    expect(items[0]).toEqual({ type: 'comment', text: 'connected' });
    expect(messages(items)).toEqual([
      { event: 'pack.status', data: '{"id":7,"kind":"pack.status"}', lastEventId: '7', hasId: true },
      // An ephemeral event has no id: the resume point stays the last one seen.
      { event: 'cluster.connection', data: '{"kind":"cluster.connection"}', lastEventId: '7', hasId: false },
    ]);
    expect(parser.lastEventId).toBe('7');
  });

  it('completes messages split anywhere across chunks, including a CRLF split between chunks', () => {
    const text = 'id: 1\r\nevent: a\r\ndata: x\r\n\r\nid: 2\r\ndata: y\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser();
      const got = messages([...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))]);
      expect(
        got.map((m) => [m.lastEventId, m.event, m.data]),
        `cut at ${cut}`,
      ).toEqual([
        ['1', 'a', 'x'],
        ['2', 'message', 'y'],
      ]);
    }
  });

  it('follows the standard: CR line ends, joined data lines, one optional space, fields without colon', () => {
    const parser = new SseParser();
    const got = messages(parser.push('data:no space\rdata:  two spaces\rdata\r\r'));
    expect(got[0]?.data).toBe('no space\n two spaces\n');
  });

  it('does not dispatch a message without data, ignores ids with NUL and unknown fields, and reports retry', () => {
    const parser = new SseParser('3');
    const items = parser.push('event: x\n\nid: 4\u0000\nfoo: bar\ndata: d\n\nretry: 2500\nretry: soon\n');
    expect(messages(items)).toEqual([{ event: 'message', data: 'd', lastEventId: '3', hasId: false }]);
    expect(items).toContainEqual({ type: 'retry', ms: 2500 });
    expect(items.filter((i) => i.type === 'retry')).toHaveLength(1);
  });

  it('starts from the id it resumes from, and an empty id resets it', () => {
    const parser = new SseParser('41');
    expect(parser.lastEventId).toBe('41');
    parser.push('id\ndata: z\n\n');
    expect(parser.lastEventId).toBe('');
  });
});
