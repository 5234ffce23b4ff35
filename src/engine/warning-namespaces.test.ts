// Warning events are watched in the namespaces the packs write to (evaluations.ts): asked once per namespace,
// and asked again by the next pack when the first start failed.
import { afterEach, describe, expect, it } from 'vitest';
import { KubeError, KubeErrorCode } from '../kube/index.js';
import { FakeKube } from '../kube/testing/fake-kube.js';
import { ClusterRunner } from './runner.js';
import { EventLog } from './testing/runner.js';
import { wavedPacks } from './testing/waved-packs.js';

const runners: ClusterRunner[] = [];
afterEach(() => {
  for (const r of runners.splice(0)) r.stop();
});

describe('ClusterRunner: Warning events of the packs’ namespaces', () => {
  it('lists a namespace’s Warning events again for the next pack after a refused start, then keeps it', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let eventLists = 0;
    kube.react((action) => {
      if (action.verb !== 'list' || action.query.kind !== 'Event') return;
      if (++eventLists === 1) throw new KubeError(KubeErrorCode.Forbidden, 'events is forbidden: not yet');
    });
    const log = new EventLog();
    const runner = new ClusterRunner({ cluster: 'unit', kube, helmBin: '/nonexistent', onEvent: log.push });
    runners.push(runner);
    await runner.start();
    // Three packs in namespace apps, one wave each: one after the other.
    const desired = wavedPacks(3, 3);
    runner.setDesired(desired);
    await log.until((l) => l.allGreen(desired.map((d) => d.pack.name)), { timeoutMs: 5000, what: 'green' });
    // The first pack's start was refused, the second pack's listed them, the third found them watched.
    expect(eventLists).toBe(2);
  });
});
