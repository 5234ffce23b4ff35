import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { resourceStateDisplay } from '../api/display';
import { ResourceTable } from '../cluster/ResourceTable';
import { pack } from '../live/fixtures';
import { PackReason } from './PackReason';

afterEach(cleanup);

describe('PackReason', () => {
  it('says why as the CLI does: the condition once, the cause once, then the object and the message', () => {
    const red = pack('web', {
      phase: 'failed',
      condition: 'Error',
      reason: 'ImagePullBackOff',
      message: 'Pod tenant-a/web-7d9: Back-off pulling image "registry.local/web:nope"',
    });
    render(<PackReason pack={red} />);
    expect(
      screen.getByText(
        'Error: ImagePullBackOff: Pod tenant-a/web-7d9: Back-off pulling image "registry.local/web:nope"',
      ),
    ).toBeTruthy();
  });

  it('leaves out a waiting code the message already says in words', () => {
    const gray = pack('web', {
      condition: 'WaitingForOtherLayers',
      reason: 'WaitingForDependencies',
      message: 'waiting for: cni/calico (processing)',
    });
    render(<PackReason pack={gray} />);
    expect(screen.getByText('WaitingForOtherLayers: waiting for: cni/calico (processing)')).toBeTruthy();
  });
});

describe('the resource table', () => {
  it("shows a resource state with the shared table's icon (Terminating is ↓ in the CLI and the UI alike)", () => {
    render(
      <ResourceTable
        resources={[
          {
            ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'a', name: 'b' },
            state: 'Terminating',
            reason: 'Deleting',
            message: 'Pod a/b: being deleted',
          },
        ]}
      />,
    );
    expect(resourceStateDisplay.Terminating.icon).toBe('↓');
    expect(screen.getByText('Terminating').textContent).toBe('↓ Terminating');
  });
});
