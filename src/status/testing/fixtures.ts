/**
 * Test support: reads Kubernetes object fixtures from disk. The only file in src/status that does I/O, and
 * only tests import it.
 *
 * A fixture is a JSON file, either
 * - a bare Kubernetes object (what `kubectl get -o json` prints), or
 * - a scenario: `{ "description"?, "object", "related"?: { "replicaSets"?, "pods"? }, "expect"?: { "state",
 *   "reason"?, "message"? } }`, where `related` holds the objects the engine would supply for ownership
 *   (see related.ts) and `expect` is what evaluateResource must say.
 * Hand-made edge cases live in fixtures/<kind>/; objects captured from the testenv control plane are added
 * under fixtures/captured/ in the same format, and every fixture with an `expect` is checked by
 * fixtures.test.ts without further code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { z } from 'zod';
import { ResourceState } from '../resource-state.js';

export const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));

const kubeObject = z
  .looseObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: z.looseObject({ name: z.string() }),
  })
  .transform((o) => o as KubernetesObject);

const scenario = z.strictObject({
  description: z.string().optional(),
  object: kubeObject,
  related: z
    .strictObject({
      replicaSets: z.array(kubeObject).optional(),
      pods: z.array(kubeObject).optional(),
    })
    .optional(),
  expect: z
    .strictObject({
      state: z.enum(Object.values(ResourceState)),
      reason: z.string().optional(),
      message: z.string().optional(),
    })
    .optional(),
});

export interface Fixture {
  /** Path below the fixtures directory without `.json`, e.g. `deployment/available`. */
  readonly name: string;
  readonly file: string;
  readonly description?: string;
  readonly object: KubernetesObject;
  readonly related: { readonly replicaSets: readonly V1ReplicaSet[]; readonly pods: readonly V1Pod[] };
  readonly expect?: { readonly state: ResourceState; readonly reason?: string; readonly message?: string };
}

export function readFixture(file: string, root = fixturesDir): Fixture {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const name = relative(root, file)
    .split(sep)
    .join('/')
    .replace(/\.json$/, '');
  const isScenario = typeof raw === 'object' && raw !== null && 'object' in raw;
  if (!isScenario)
    return { name, file, object: kubeObject.parse(raw), related: { replicaSets: [], pods: [] } };
  const s = scenario.parse(raw);
  return {
    name,
    file,
    object: s.object,
    related: {
      // Ownership is by ownerReferences uid (related.ts); the loader does not check kinds.
      replicaSets: s.related?.replicaSets ?? [],
      pods: s.related?.pods ?? [],
    },
    ...(s.description === undefined ? {} : { description: s.description }),
    ...(s.expect === undefined
      ? {}
      : {
          expect: {
            state: s.expect.state,
            ...(s.expect.reason === undefined ? {} : { reason: s.expect.reason }),
            ...(s.expect.message === undefined ? {} : { message: s.expect.message }),
          },
        }),
  };
}

/** Every `*.json` fixture below `dir` (recursively), sorted by name. A missing directory has none. */
export function loadFixtures(dir: string, root = fixturesDir): Fixture[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Fixture[] = [];
  for (const entry of entries.sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...loadFixtures(path, root));
    else if (entry.endsWith('.json')) out.push(readFixture(path, root));
  }
  return out;
}

/** One fixture by name, e.g. `fixture('deployment/available')`. */
export function fixture(name: string): Fixture {
  return readFixture(join(fixturesDir, `${name}.json`));
}

/**
 * A deep copy of a fixture object with an edit applied, for tests that need a variant of a real object.
 * (The client's object types are classes, so spreading them is flagged; fixtures are plain JSON anyway.)
 */
export function edited<T>(obj: T, edit: (copy: T) => void): T {
  const copy = structuredClone(obj);
  edit(copy);
  return copy;
}
