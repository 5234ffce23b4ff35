import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { format, resolveConfig } from 'prettier';
import { ResourceState } from '../../src/status/resource-state.js';
import { podName, waitingMessage } from './kube.js';

export const capturedDir = fileURLToPath(new URL('../../src/status/fixtures/captured/', import.meta.url));

/** What a rule must say about the captured object; written from pack-status.md, never from the code's output. */
export interface Expectation {
  readonly state: ResourceState;
  readonly reason?: string;
  readonly message?: string;
}

/** One fixture file, in the scenario format of src/status/testing/fixtures.ts. */
export interface CapturedFixture {
  /** Path below fixtures/captured without `.json`, e.g. `deployment/available`. */
  readonly name: string;
  readonly description: string;
  readonly object: KubernetesObject;
  readonly related?: { readonly replicaSets?: readonly V1ReplicaSet[]; readonly pods?: readonly V1Pod[] };
  readonly expect: Expectation;
}

/**
 * Removes what only the API server's bookkeeping needs and would bury the state in every diff:
 * metadata.managedFields. uid, resourceVersion and timestamps stay as they were read (ownership is resolved
 * by uid, and a regenerated fixture may as well show new ones). List items carry no kind/apiVersion, so they
 * are set, as `kubectl get -o json` does.
 */
export function clean<T extends KubernetesObject>(obj: T, type?: { apiVersion: string; kind: string }): T {
  const copy = structuredClone(obj);
  if (copy.metadata) delete copy.metadata.managedFields;
  if (type) {
    copy.apiVersion ??= type.apiVersion;
    copy.kind ??= type.kind;
  }
  return copy;
}

function toJson(f: CapturedFixture): unknown {
  const related =
    f.related === undefined
      ? undefined
      : {
          ...(f.related.replicaSets === undefined
            ? {}
            : {
                replicaSets: f.related.replicaSets.map((rs) =>
                  clean(rs, { apiVersion: 'apps/v1', kind: 'ReplicaSet' }),
                ),
              }),
          ...(f.related.pods === undefined
            ? {}
            : { pods: f.related.pods.map((p) => clean(p, { apiVersion: 'v1', kind: 'Pod' })) }),
        };
  return {
    description: f.description,
    object: clean(f.object),
    ...(related === undefined ? {} : { related }),
    expect: f.expect,
  };
}

async function jsonFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => join(e.parentPath, e.name));
}

/**
 * Writes the fixtures (formatted by the repository's prettier settings, so `prettier --check` passes). With
 * `replaceAll`, earlier captured files that this run did not produce are removed: a scenario that was dropped
 * from the script must not leave a stale fixture behind.
 */
export async function writeFixtures(
  fixtures: readonly CapturedFixture[],
  options: { replaceAll: boolean },
): Promise<string[]> {
  if (options.replaceAll) for (const file of await jsonFiles(capturedDir)) await rm(file);
  const written: string[] = [];
  for (const f of fixtures) {
    const file = join(capturedDir, `${f.name}.json`);
    const prettierOptions = (await resolveConfig(file)) ?? {};
    const text = await format(JSON.stringify(toJson(f), null, 2), { ...prettierOptions, filepath: file });
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    written.push(file);
  }
  return written;
}

/**
 * A pod stuck in a terminal waiting reason: Failed, the message naming the pod and the kubelet's words — for
 * the pod itself and for the workload that owns it, which must name it (pack-status.md).
 */
export function terminalWaiting(pod: V1Pod | undefined, reason: string): Expectation {
  if (!pod) throw new Error('no pod captured');
  return {
    state: ResourceState.Failed,
    reason,
    message: `${podName(pod)}: ${reason}: ${waitingMessage(pod) ?? ''}`,
  };
}
