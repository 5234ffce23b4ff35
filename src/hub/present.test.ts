import { describe, expect, it } from 'vitest';
import { desiredPack, helmPack, packNamespace } from '../engine/testing/packs.js';
import { Redactor } from '../profile/index.js';
import { cutText } from '../shared/kept-text.js';
import { initialPackStatus, RunKind } from '../status/index.js';
import { NOTES_HIDDEN, packValuesView, packView } from './present.js';

const desired = desiredPack(
  helmPack({ name: 'db', namespace: packNamespace('data'), values: { password: 'hunter2-secret' } }),
  { profile: { name: 'data', version: '1.0.0' }, redactor: new Redactor(['hunter2-secret']) },
);

describe('packValuesView', () => {
  it("carries a Helm pack's notes; notes that quote a sensitive value are not shown at all (review 15, item 3)", () => {
    expect(packValuesView(desired, 'Reach it at db.data.svc.').notes).toBe('Reach it at db.data.svc.');
    const view = packValuesView(desired, 'Log in with password hunter2-secret.');
    expect(view.notes).toBe(NOTES_HIDDEN);
    expect(view.values).toEqual({ password: '******' });
    // Masked in place (by an agent, which holds the values): hidden too, as where the mask sits tells the value.
    expect(packValuesView(desired, 'Log in with password ******.').notes).toBe(NOTES_HIDDEN);
    const noSecrets = desiredPack(helmPack({ name: 'db' }), { redactor: new Redactor([]) });
    expect(packValuesView(noSecrets, 'Password: ******').notes).toBe('Password: ******');
  });

  it('hides notes that quote a short sensitive value beside punctuation or after a URL escape (review 17, item 3)', () => {
    const short = desiredPack(helmPack({ name: 'db', values: { password: 'k3yZ' } }), {
      redactor: new Redactor(['k3yZ']),
    });
    expect(packValuesView(short, 'Log in with password k3yZ.').notes).toBe(NOTES_HIDDEN);
    expect(packValuesView(short, 'Connect to postgres://app%3Ak3yZ@db:5432/app').notes).toBe(NOTES_HIDDEN);
    expect(packValuesView(short, 'Connect to postgres://app@db:5432/k3yZx').notes).toBe(
      'Connect to postgres://app@db:5432/k3yZx',
    );
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

  it('masks the start of a secret that the cut of a long message went through (review 17, item 5)', () => {
    // Where a text cut with a 3-digit count keeps up to, and one cut 7 characters into the secret.
    const kept = cutText('z'.repeat(9000)).indexOf('…[');
    const cut = cutText(`${'x'.repeat(kept - 15)} crash: hunter2-secret ${'z'.repeat(400)}`);
    expect(cut).toContain('crash: hunter2…[');
    const view = packView(desired, { ...initialPackStatus({ revision: 'r1' }), message: cut }, false);
    expect(view.message).toContain('crash: ******…[');
    expect(view.message).not.toContain('hunter2');
  });
});
