// The pack details an agent sends (agents-details.ts): bounded, cleaned and redacted by the agent, and refused
// by the hub's schema when an agent (or whoever holds its token) sends more, or other, than that.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../profile/index.js';
import { KEPT_TEXT_MAX } from '../shared/kept-text.js';
import { AGENT_DETAIL_LIMITS, detailsBytes, packDetails, type PackDetailsEvent } from './agents-details.js';
import { AgentBatchSchema, eventOverBounds } from './agents-protocol.js';

const ref = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name });
const warning = (message: string, time = '2026-01-01T00:00:01Z') => ({
  object: 'Pod apps/web-1',
  reason: 'Unhealthy',
  message,
  count: 2,
  time,
});

const batch = (event: unknown) => ({ stream: randomUUID(), events: [{ seq: 1, event }] });
const issues = (event: unknown) => {
  const parsed = AgentBatchSchema.safeParse(batch(event));
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe("an agent's pack details", () => {
  it('are redacted, cleaned of escape sequences and cut to the limits by the agent, and the hub takes them', () => {
    const event = packDetails(
      'web',
      {
        notes: 'Password: hunter2-secret\n\u001b[31mred\u001b[0m\u202Eevil',
        warnings: [
          { ref: ref('quiet'), events: [] },
          {
            ref: ref('web'),
            events: Array.from({ length: 9 }, () =>
              warning(`probe failed, token hunter2-secret ${'x'.repeat(20_000)}`),
            ),
          },
        ],
      },
      new Redactor(['hunter2-secret']),
    );
    expect(event.notes).toBe('Password: ******\n[31mred[0mevil');
    expect(event.warnings.map((w) => w.ref.name)).toEqual(['web']);
    const events = event.warnings[0]?.events ?? [];
    expect(events).toHaveLength(AGENT_DETAIL_LIMITS.events);
    expect(events[0]?.message.startsWith('probe failed, token ****** xxx')).toBe(true);
    // Cut as the hub cuts a Warning event of a cluster it drives itself: as long, with the same marker.
    expect(AGENT_DETAIL_LIMITS.message).toBe(KEPT_TEXT_MAX);
    expect(events[0]?.message).toHaveLength(AGENT_DETAIL_LIMITS.message);
    expect(events[0]?.message).toMatch(/x…\[\d+ more characters cut by the hub\]$/);
    expect(JSON.stringify(event)).not.toContain('hunter2');
    expect(issues(event)).toEqual([]);
  });

  it("stay under the pack's byte bound however much the cluster says, dropping resources first, then notes", () => {
    const many = Array.from({ length: 60 }, (_, i) => ({
      ref: ref(`web-${i}`),
      events: Array.from({ length: 5 }, () => warning('y'.repeat(2000))),
    }));
    const event = packDetails('web', { notes: 'n'.repeat(50_000), warnings: many }, new Redactor([]));
    expect(detailsBytes(event)).toBeLessThanOrEqual(AGENT_DETAIL_LIMITS.bytes);
    // The most recent resources fill what the notes leave; the notes are cut only to their own limit.
    expect(event.warnings.length).toBeGreaterThan(0);
    expect(event.warnings.length).toBeLessThan(AGENT_DETAIL_LIMITS.resources);
    expect(event.notes).toHaveLength(AGENT_DETAIL_LIMITS.notes);
    const notesOnly = packDetails('web', { notes: '\u00e9'.repeat(50_000), warnings: [] }, new Redactor([]));
    expect(detailsBytes(notesOnly)).toBeLessThanOrEqual(AGENT_DETAIL_LIMITS.bytes);
    expect(issues(event)).toEqual([]);
  });

  it('that are hostile are refused whole, naming the field: escapes, long text, too many, unknown fields, too big', () => {
    const ok: PackDetailsEvent = {
      type: 'PackDetails',
      pack: 'web',
      warnings: [{ ref: ref('web'), events: [warning('m')] }],
    };
    expect(issues(ok)).toEqual([]);
    expect(issues({ ...ok, notes: 'a\u001b]8;;http://evil\u0007b' })).toEqual([
      'events.0.event.notes: holds control characters or escape sequences',
    ]);
    expect(
      issues({
        ...ok,
        warnings: [{ ref: ref('web'), events: [warning('m'.repeat(AGENT_DETAIL_LIMITS.message + 1))] }],
      })[0],
    ).toMatch(/^events\.0\.event\.warnings\.0\.events\.0\.message: /);
    expect(
      issues({
        ...ok,
        warnings: [{ ref: ref('web'), events: Array.from({ length: 6 }, () => warning('m')) }],
      })[0],
    ).toMatch(/^events\.0\.event\.warnings\.0\.events: /);
    expect(issues({ ...ok, html: '<script>' })[0]).toMatch(/^events\.0\.event: .*html/);
    const deep = {
      ...ok,
      warnings: [{ ref: { ...ref('web'), extra: { a: { b: { c: 1 } } } }, events: [warning('m')] }],
    };
    expect(issues(deep)[0]).toMatch(/^events\.0\.event\.warnings\.0\.ref: /);
    const big = {
      ...ok,
      notes: 'n'.repeat(AGENT_DETAIL_LIMITS.notes),
      warnings: Array.from({ length: 10 }, (_, i) => ({
        ref: ref(`w${i}`),
        events: Array.from({ length: 5 }, () => warning('m'.repeat(AGENT_DETAIL_LIMITS.message))),
      })),
    };
    expect(issues(big)).toEqual([
      expect.stringMatching(
        /^events\.0\.event: the details of pack "web" are \d+ bytes, over the 65536 allowed$/,
      ),
    ]);
  });

  it('any event past the bounds is named so, the same check the agent makes before sending one', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 17; i++) deep = [deep];
    expect(eventOverBounds({ type: 'DriftDetected', extra: deep })).toBe('nests deeper than 16 levels');
    expect(eventOverBounds({ type: 'PackRemoved', pack: 'p'.repeat(1024 * 1024) })).toMatch(
      /^is \d+ bytes as JSON, over the 1048576 allowed$/,
    );
    expect(
      eventOverBounds({ type: 'PackRemoved', pack: 'web', time: '2026-01-01T00:00:00Z' }),
    ).toBeUndefined();
  });
});
