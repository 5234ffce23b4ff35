import { describe, expect, it } from 'vitest';
import { asciiJson, BroadcastAssembler, broadcastParts } from './broadcast.js';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
const NOTIFY_LIMIT = 8000;

function assemble(payloads: readonly string[]) {
  const messages: string[] = [];
  const dropped: string[] = [];
  const assembler = new BroadcastAssembler(
    (m) => messages.push(m),
    (why) => dropped.push(why),
  );
  for (const p of payloads) assembler.part(p);
  return { messages, dropped };
}

describe('broadcast parts', () => {
  it('cuts a message past the notification limit into parts under it that join back to the same value', () => {
    // Multi-byte characters (and one outside the BMP) in a view: escaped, so no cut falls inside one.
    const value = { kind: 'attachment.changed', data: { note: 'grüße 🚀 '.repeat(3000) } };
    const text = asciiJson(value);
    const parts = broadcastParts(text, 'm1');
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expect(Buffer.byteLength(part)).toBeLessThan(NOTIFY_LIMIT);
    const { messages, dropped } = assemble(parts);
    expect(dropped).toEqual([]);
    expect(messages.map((m) => JSON.parse(m) as unknown)).toEqual([value]);
  });

  it('sends a short message as one part', () => {
    expect(assemble(broadcastParts('{"a":1}', 'm2')).messages).toEqual(['{"a":1}']);
  });

  it('drops a message whose parts are missing or out of order, and takes the next whole one', () => {
    const long = asciiJson({ text: 'x'.repeat(20_000) });
    const [first, second, third] = broadcastParts(long, 'm3');
    const { messages, dropped } = assemble([
      first as string,
      third as string,
      ...broadcastParts('"next"', 'm4'),
      second as string,
    ]);
    expect(messages).toEqual(['"next"']);
    expect(dropped).toHaveLength(2);
  });

  it('refuses text that is not printable ASCII (a part could end inside a character)', () => {
    expect(() => broadcastParts('grüße')).toThrow(/ASCII/);
  });
});
