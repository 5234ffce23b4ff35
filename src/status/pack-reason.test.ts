import { describe, expect, it } from 'vitest';
import { formatPackReason } from './pack-reason.js';

describe('formatPackReason', () => {
  it('says the condition once and leaves out a waiting code the message says in words', () => {
    expect(
      formatPackReason({
        phase: 'onboarding',
        condition: 'WaitingForOtherLayers',
        reason: 'WaitingForDependencies',
        message: 'waiting for: calico (processing)',
      }),
    ).toBe('WaitingForOtherLayers: waiting for: calico (processing)');
    expect(
      formatPackReason({
        phase: 'processing',
        condition: 'Installed',
        reason: 'LessAvailable',
        message: '2/3 resources ready; waiting for Deployment web/web: 0/1 available',
      }),
    ).toBe('Installed: 2/3 resources ready; waiting for Deployment web/web: 0/1 available');
  });

  it('names the cause of a red pack once, with the object and the message', () => {
    expect(
      formatPackReason({
        phase: 'failed',
        condition: 'Error',
        reason: 'ImagePullBackOff',
        message: 'Pod broken/web-7d9: image "registry.example/nope" not found',
      }),
    ).toBe('Error: ImagePullBackOff: Pod broken/web-7d9: image "registry.example/nope" not found');
    expect(
      formatPackReason({
        phase: 'failed',
        condition: 'Error',
        reason: 'ImagePullBackOff',
        message: 'Pod broken/web-7d9: ImagePullBackOff: Back-off pulling image "registry.example/nope"',
      }),
    ).toBe('Error: Pod broken/web-7d9: ImagePullBackOff: Back-off pulling image "registry.example/nope"');
  });

  it('does not repeat a condition the message starts with, nor mistake a longer word for the cause', () => {
    expect(
      formatPackReason({
        phase: 'processing',
        condition: 'Retrying',
        reason: 'Retrying',
        message: 'Retrying (attempt 2): apply rejected',
      }),
    ).toBe('Retrying (attempt 2): apply rejected');
    expect(
      formatPackReason({ phase: 'failed', condition: 'Error', reason: 'Err', message: 'ErrImagePull' }),
    ).toBe('Error: Err: ErrImagePull');
    expect(
      formatPackReason({ phase: 'onboarding', condition: 'ReadyForInstall', reason: '', message: '' }),
    ).toBe('ReadyForInstall');
  });
});
