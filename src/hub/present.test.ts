import { describe, expect, it } from 'vitest';
import { desiredPack, helmPack, packNamespace } from '../engine/testing/packs.js';
import { Redactor } from '../profile/index.js';
import { initialPackStatus, RunKind } from '../status/index.js';
import { packValuesView, packView } from './present.js';

const desired = desiredPack(
  helmPack({ name: 'db', namespace: packNamespace('data'), values: { password: 'hunter2-secret' } }),
  { profile: { name: 'data', version: '1.0.0' }, redactor: new Redactor(['hunter2-secret']) },
);

describe('packValuesView', () => {
  it("carries a Helm pack's notes, with sensitive values masked as in its values", () => {
    const view = packValuesView(desired, 'Log in with password hunter2-secret.');
    expect(view.notes).toBe('Log in with password ******.');
    expect(view.values).toEqual({ password: '******' });
  });

  it('has no notes before the pack is rendered or when its chart has none', () => {
    expect(packValuesView(desired)).not.toHaveProperty('notes');
  });
});

describe('packView', () => {
  const run = (minute: number) => ({
    kind: minute === 0 ? RunKind.Install : RunKind.Upgrade,
    revision: `r${String(minute)}`,
    startTime: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
  });

  it('carries the current run only, and how many runs are kept when there are more (issue 15, page weight)', () => {
    const status = initialPackStatus({ revision: 'r2' });
    const three = packView(desired, { ...status, runs: [run(0), run(1), run(2)] }, false);
    expect(three).toMatchObject({ lastRun: run(2), runCount: 3 });
    expect(three).not.toHaveProperty('runs');
    const one = packView(desired, { ...status, runs: [run(0)] }, false);
    expect(one.lastRun).toEqual(run(0));
    expect(one).not.toHaveProperty('runCount');
    expect(packView(desired, status, false)).not.toHaveProperty('lastRun');
  });
});
