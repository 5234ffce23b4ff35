import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { currentDeploymentPods } from './deployment.js';
import { edited, fixture } from './testing/fixtures.js';
import { indexRelated, ownersAffectedBy } from './related.js';

const scenario = fixture('deployment/image-pull-backoff');
const deploymentUid = scenario.object.metadata?.uid ?? '';

describe('ownership', () => {
  it('resolves a Deployment to the pods of its current ReplicaSet through controller owner references', () => {
    const pods = currentDeploymentPods(scenario.object, indexRelated(scenario.related));
    expect(pods.map((p) => p.metadata?.name)).toEqual([
      'grafana-7d9f8b6c5-abc12',
      'grafana-7d9f8b6c5-def34',
      'grafana-7d9f8b6c5-ghi56',
    ]);
  });

  it('ignores owner references that are not the controller', () => {
    const pods = scenario.related.pods.map((p) =>
      edited(p, (pod) => {
        for (const o of pod.metadata?.ownerReferences ?? []) o.controller = false;
      }),
    );
    const related = indexRelated({ replicaSets: scenario.related.replicaSets, pods });
    expect(currentDeploymentPods(scenario.object, related)).toEqual([]);
  });

  it('names the ReplicaSet and the Deployment as affected by a change to one of their pods', () => {
    const pod = scenario.related.pods[0];
    if (pod === undefined) throw new Error('fixture has pods');
    const byUid = new Map<string, V1ReplicaSet>(
      scenario.related.replicaSets.map((rs) => [rs.metadata?.uid ?? '', rs]),
    );
    const rsUid = pod.metadata?.ownerReferences?.[0]?.uid;
    expect(ownersAffectedBy(pod, (uid) => byUid.get(uid))).toEqual([rsUid, deploymentUid]);
  });

  it('names only the direct controller for a pod of a StatefulSet, and nothing for an orphan', () => {
    const { related } = fixture('statefulset/crashloop-pod');
    const pod = related.pods[0];
    if (pod === undefined) throw new Error('fixture has pods');
    expect(ownersAffectedBy(pod, () => undefined)).toHaveLength(1);
    const orphan = edited(pod, (p) => {
      if (p.metadata) delete p.metadata.ownerReferences;
    });
    expect(ownersAffectedBy(orphan, () => undefined)).toEqual([]);
  });
});
