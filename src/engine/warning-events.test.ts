import type { CoreV1Event } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { WarningEvents } from './warning-events.js';

const event = (name: string, reason: string, uid = 'pod-1', type = 'Warning'): CoreV1Event => ({
  metadata: { name },
  type,
  reason,
  message: `${reason} (${name})`,
  involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'web', uid },
});

describe('WarningEvents', () => {
  it('keeps the latest event of each reason per object, oldest first', () => {
    const events = new WarningEvents();
    expect(events.record(event('a', 'BackOff'), false)).toBe('pod-1');
    events.record(event('b', 'Unhealthy'), false);
    events.record(event('c', 'BackOff'), false);
    expect(events.for('pod-1').map((e) => e.metadata.name)).toEqual(['b', 'c']);
  });

  it('ignores Normal events and events without an involved uid', () => {
    const events = new WarningEvents();
    expect(events.record(event('a', 'Scheduled', 'pod-1', 'Normal'), false)).toBeUndefined();
    const orphan = event('b', 'BackOff');
    orphan.involvedObject = { kind: 'Pod', name: 'x' };
    expect(events.record(orphan, false)).toBeUndefined();
    expect(events.size).toBe(0);
  });

  it('drops an event the API server deleted (its TTL passed), and what an object it was about', () => {
    const events = new WarningEvents();
    events.record(event('a', 'BackOff'), false);
    events.record(event('b', 'Unhealthy'), false);
    events.record(event('a', 'BackOff'), true);
    expect(events.for('pod-1').map((e) => e.metadata.name)).toEqual(['b']);
    events.forget('pod-1');
    expect(events.for('pod-1')).toEqual([]);
  });

  it('is bounded: a few reasons per object, and the objects warned about least recently go first', () => {
    const events = new WarningEvents({ perObject: 2, objects: 3 });
    for (const reason of ['FailedMount', 'Unhealthy', 'BackOff']) events.record(event(reason, reason), false);
    expect(events.for('pod-1').map((e) => e.reason)).toEqual(['Unhealthy', 'BackOff']);
    for (const uid of ['pod-2', 'pod-3']) events.record(event(uid, 'BackOff', uid), false);
    events.record(event('again', 'BackOff', 'pod-1'), false); // pod-1 is now the most recent
    events.record(event('pod-4', 'BackOff', 'pod-4'), false);
    expect(events.size).toBe(3);
    expect(events.for('pod-2')).toEqual([]);
    expect(events.for('pod-1')).toHaveLength(2);
  });
});
