import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssues, loadProfileFiles } from '../profile/index.js';
import { PackPhase, type PackStatus } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { desiredOrThrow, startRunner } from './testing/runner.js';

// Custom resources on a real control plane, the test playing their controller (issue 14): a kind with a
// profile health rule follows the rule; a kind without one waits for its controller's status for the
// pack's grace period and then turns green with a note, never before.
const CP = 'engine-health-rules-it';
let cp: ControlPlaneState;
let objects: CustomObjectsApi;
const dir = mkdtempSync(join(tmpdir(), 'strata-health-rules-'));

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  objects = kc.makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  await down({ name: CP });
});

const crd = (plural: string, kind: string) => `
        - apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: { name: ${plural}.example.com }
          spec:
            group: example.com
            scope: Namespaced
            names: { plural: ${plural}, singular: ${kind.toLowerCase()}, kind: ${kind} }
            versions:
              - name: v1
                served: true
                storage: true
                subresources: { status: {} }
                schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
        - { apiVersion: example.com/v1, kind: ${kind}, metadata: { name: first }, spec: { size: 1 } }`;

const GRACE_S = 4;
const profile = `apiVersion: strata.dev/v1alpha1
kind: ClusterProfile
metadata: { name: operators }
spec:
  version: 1.0.0
  type: add-on
  healthChecks:
    - apiVersion: example.com/v1
      kind: Widget
      inProgress: status.phase == 'Provisioning'
      failed: status.phase == 'Failed'
      current: status.phase == 'Ready'
      message: "'phase ' + status.phase + (has(status.message) ? ': ' + status.message : '')"
  packs:
    - name: widgets
      layer: addon
      version: 1.0.0
      type: manifest
      namespace: widgets
      manifests:${crd('widgets', 'Widget')}
    - name: gadgets
      layer: addon
      version: 1.0.0
      type: manifest
      namespace: gadgets
      healthGrace: ${GRACE_S}s
      manifests:${crd('gadgets', 'Gadget')}
`;

function resourceOf(status: PackStatus | undefined, kind: string) {
  return status?.resources.find((r) => r.ref.kind === kind)?.evaluation;
}

describe('health rules and the wait for a controller, end to end', () => {
  it('follows the profile rule for Widget and waits out the grace period for Gadget', async () => {
    const file = join(dir, 'operators.yaml');
    writeFileSync(file, profile);
    const loaded = await loadProfileFiles([file]);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));

    const { runner, log } = await startRunner(cp.kubeconfig, 'operators');
    const widgetStatus = (status: Record<string, unknown>) =>
      objects.patchNamespacedCustomObjectStatus({
        group: 'example.com',
        version: 'v1',
        namespace: 'widgets',
        plural: 'widgets',
        name: 'first',
        body: [{ op: 'add', path: '/status', value: status }],
      });
    try {
      runner.setDesired(desiredOrThrow(loaded.value, { cluster: 'operators' }));

      // No status yet: blue, waiting for the controller (both kinds).
      await log.until(
        (l) => resourceOf(l.latest().get('widgets'), 'Widget')?.reason === 'AwaitingControllerStatus',
        {
          timeoutMs: 60_000,
          what: 'the Widget waiting for its controller',
        },
      );
      expect(log.phases().widgets).toBe(PackPhase.Processing);
      expect(resourceOf(log.latest().get('widgets'), 'Widget')?.message).toBe(
        'Widget widgets/first: waiting for its controller to report status',
      );

      // Without a rule, the Gadget turns green only once its grace period is over, with the note.
      await log.until((l) => l.phases().gadgets === PackPhase.Success, {
        timeoutMs: 60_000,
        what: 'gadgets green after the grace period',
      });
      const gadgets = log.latest().get('gadgets');
      expect(resourceOf(gadgets, 'Gadget')).toEqual({
        state: 'Ready',
        reason: 'NoStatusReported',
        message: 'Gadget gadgets/first: exists; no status reported by its controller',
      });
      const gadget = (await objects.getNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: 'gadgets',
        plural: 'gadgets',
        name: 'first',
      })) as { metadata: { creationTimestamp: string } };
      const greenAt = Date.parse(gadgets?.transitions.find((t) => t.to === PackPhase.Success)?.time ?? '');
      // creationTimestamp has whole seconds: the grace ends no earlier than GRACE_S after it.
      expect(greenAt - Date.parse(gadget.metadata.creationTimestamp)).toBeGreaterThanOrEqual(GRACE_S * 1000);
      // The Widget has a rule that does not hold yet: still blue after the same wait.
      expect(log.phases().widgets).toBe(PackPhase.Processing);

      // The controller's part: failed, then ready.
      await widgetStatus({ phase: 'Failed', message: 'quota exceeded for widgets' });
      await log.until((l) => l.phases().widgets === PackPhase.Failed, {
        timeoutMs: 30_000,
        what: 'widgets red',
      });
      expect(log.latest().get('widgets')?.message).toContain(
        'Widget widgets/first: phase Failed: quota exceeded for widgets',
      );

      await widgetStatus({ phase: 'Ready' });
      await log.until((l) => l.phases().widgets === PackPhase.Success, {
        timeoutMs: 30_000,
        what: 'widgets green',
      });
      expect(resourceOf(log.latest().get('widgets'), 'Widget')).toMatchObject({
        state: 'Ready',
        message: 'Widget widgets/first: phase Ready',
      });
    } finally {
      runner.stop();
    }
  });
});
