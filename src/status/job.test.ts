import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { edited, fixture } from './testing/fixtures.js';
import { evaluateJob } from './job.js';
import { indexRelated } from './related.js';

const load = (name: string) => fixture(`job/${name}`).object as V1Job;

describe('evaluateJob', () => {
  it('is Ready once Complete', () => {
    expect(evaluateJob(load('complete'))).toEqual({
      state: 'Ready',
      reason: 'Completed',
      message: 'Job apps/db-migrate: completed (1/1 succeeded)',
    });
  });

  it('differs from kstatus: a running Job is Progressing, not Current', () => {
    expect(evaluateJob(load('running'))).toEqual({
      state: 'Progressing',
      reason: 'JobRunning',
      message: 'Job apps/db-migrate: running: 0/1 succeeded, 1 active',
    });
  });

  it('differs from kstatus: a suspended Job is Progressing, since it will not complete', () => {
    expect(evaluateJob(load('suspended'))).toMatchObject({ state: 'Progressing', reason: 'Suspended' });
  });

  it('is Progressing before its first pod starts', () => {
    expect(evaluateJob(load('not-started')).reason).toBe('JobNotStarted');
  });

  it.each([
    ['backoff-limit-exceeded', 'BackoffLimitExceeded'],
    ['deadline-exceeded', 'DeadlineExceeded'],
    ['failure-target', 'BackoffLimitExceeded'],
  ])('is Failed for %s with the reason %s', (name, reason) => {
    expect(evaluateJob(load(name))).toMatchObject({ state: 'Failed', reason });
  });

  it('names the pod that cannot pull its image instead of waiting out the deadline', () => {
    const f = fixture('job/image-pull-backoff');
    expect(evaluateJob(f.object as V1Job, indexRelated(f.related))).toMatchObject({
      state: 'Failed',
      reason: 'ErrImagePull',
      cause: { kind: 'Pod', namespace: 'apps', name: 'db-migrate-x7k2p' },
    });
  });

  it('is not Failed by pods once it is Complete', () => {
    const f = fixture('job/image-pull-backoff');
    const job = edited(load('complete'), (j) => {
      if (j.metadata) j.metadata.uid = f.object.metadata?.uid ?? '';
    });
    expect(evaluateJob(job, indexRelated(f.related)).state).toBe('Ready');
  });
});
