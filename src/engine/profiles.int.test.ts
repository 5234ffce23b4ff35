import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackPhase } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import {
  deploymentProfile,
  desiredOrThrow,
  startRunner,
  type EventLog,
  type TestPack,
} from './testing/runner.js';

const CP = 'engine-profiles-it';
let cp: ControlPlaneState;
let kc: KubeConfig;
let apps: AppsV1Api;
let admission: AdmissionregistrationV1Api;
const dir = mkdtempSync(join(tmpdir(), 'strata-profiles-'));

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 2 });
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  admission = kc.makeApiClient(AdmissionregistrationV1Api);
});

afterAll(async () => {
  await down({ name: CP });
});

const profile = (name: string, ns: string, packs: TestPack[]) =>
  deploymentProfile(dir, { name, version: '1.0.0', namespace: ns, packs });

const deploymentExists = async (ns: string, name: string) => {
  try {
    await apps.readNamespacedDeployment({ name, namespace: ns });
    return true;
  } catch {
    return false;
  }
};

/** Every message a pack has shown, in order. */
const messages = (log: EventLog, pack: string): string[] =>
  log.events.flatMap((e) => (e.type === 'PackStatusChanged' && e.pack === pack ? [e.status.message] : []));

describe('add-on profiles are independent', () => {
  it('two add-on profiles, one red: the other installs to green', async () => {
    const { runner, log } = await startRunner(cp.kubeconfig, 'profiles');
    try {
      const broken = await profile('broken', 'broken', [
        { name: 'bad', behavior: 'image-pull-backoff', priority: -5 },
        { name: 'after-bad' },
      ]);
      const healthy = await profile('healthy', 'healthy', [
        { name: 'web', readyAfter: '2s' },
        { name: 'api', priority: 5 },
      ]);
      // The one link between profiles is an explicit dependsOn.
      const linked = await profile('linked', 'linked', [{ name: 'needs-bad', dependsOn: ['bad'] }]);
      runner.setDesired(desiredOrThrow([...broken, ...healthy, ...linked], { cluster: 'profiles' }));

      // Before, waves were cluster-wide: web sat in the wave after bad (priority -5) and stayed gray.
      await log.until((l) => l.phases().bad === PackPhase.Failed && l.allGreen(['web', 'api']), {
        timeoutMs: 60_000,
        what: 'bad red while the healthy profile turns green',
      });
      // api waited for its own profile's web, and said so by profile and pack.
      expect(messages(log, 'api')).toContain('waiting for: healthy/web (processing)');
      await log.until(
        (l) =>
          l.latest().get('after-bad')?.message === 'blocked by broken/bad (failed)' &&
          l.latest().get('needs-bad')?.message === 'blocked by broken/bad (failed)',
        { timeoutMs: 10_000, what: 'the packs after bad blocked, naming its profile' },
      );
      expect(log.phases()).toMatchObject({
        'after-bad': PackPhase.Onboarding,
        'needs-bad': PackPhase.Onboarding,
      });
      expect(await deploymentExists('broken', 'after-bad')).toBe(false);
      expect(await deploymentExists('linked', 'needs-bad')).toBe(false);
    } finally {
      runner.stop();
    }
  });
});

describe('uninstall retries', () => {
  const policyName = 'strata-test-undeletable';

  /** A ValidatingAdmissionPolicy that forbids deleting the Deployment `stuck`: every uninstall attempt fails. */
  async function forbidDeletingStuck(): Promise<void> {
    await admission.createValidatingAdmissionPolicy({
      body: {
        metadata: { name: policyName },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ['apps'],
                apiVersions: ['v1'],
                operations: ['DELETE'],
                resources: ['deployments'],
              },
            ],
          },
          validations: [
            {
              expression: "oldObject.metadata.name != 'stuck'",
              message: 'test policy: stuck cannot be deleted',
              reason: 'Forbidden',
            },
          ],
        },
      },
    });
    await admission.createValidatingAdmissionPolicyBinding({
      body: {
        metadata: { name: policyName },
        spec: { policyName, validationActions: ['Deny'] },
      },
    });
    // The API server loads policies asynchronously: poll a dry-run delete until it is refused.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await apps.deleteNamespacedDeployment({ name: 'stuck', namespace: 'stuck', dryRun: 'All' });
      } catch (error) {
        if (String(error).includes('stuck cannot be deleted')) return;
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw new Error('the delete policy was not enforced within 30s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('a pack that cannot be deleted backs off, stays red without a transition per attempt, and goes once it can', async () => {
    const { runner, log } = await startRunner(cp.kubeconfig, 'stuck', {
      retry: { initialMs: 100, maxMs: 400 },
    });
    try {
      const stuck = await profile('stuck', 'stuck', [{ name: 'stuck' }]);
      runner.setDesired(desiredOrThrow(stuck, { cluster: 'stuck' }));
      await log.until((l) => l.allGreen(['stuck']), { timeoutMs: 60_000, what: 'stuck green' });
      await forbidDeletingStuck();

      runner.setDesired([]);
      await log.until((l) => l.latest().get('stuck')?.message.includes('stuck cannot be deleted') === true, {
        timeoutMs: 30_000,
        what: 'the uninstall refused',
      });
      const failed = log.latest().get('stuck');
      expect(failed?.phase).toBe(PackPhase.Failed);
      expect(failed?.message).toContain('retrying, at most every');
      const eventsAtFailure = messages(log, 'stuck').length;
      const transitionsAtFailure = failed?.transitions.length ?? 0;

      // A window of many retry periods (maxMs 400): the old runner restarted the uninstall at once, hundreds of
      // status events and transitions in it. Nothing can be waited for here: the point is that nothing happens.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(log.latest().get('stuck')?.transitions.length).toBe(transitionsAtFailure);
      expect(messages(log, 'stuck').length - eventsAtFailure).toBeLessThan(3);

      // Allowed again: the next attempt removes the pack.
      await admission.deleteValidatingAdmissionPolicyBinding({ name: policyName });
      await log.until((l) => l.events.some((e) => e.type === 'PackRemoved' && e.pack === 'stuck'), {
        timeoutMs: 30_000,
        what: 'stuck removed once deleting is allowed',
      });
      expect(await deploymentExists('stuck', 'stuck')).toBe(false);
    } finally {
      runner.stop();
      await admission.deleteValidatingAdmissionPolicy({ name: policyName }).catch(() => undefined);
    }
  });
});
