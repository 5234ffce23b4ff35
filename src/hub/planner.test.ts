import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DesiredPack } from '../engine/index.js';
import { parseProfiles, PROFILE_PARSER_VERSION, type ClusterProfile } from '../profile/index.js';
import { createStore, type Store } from '../store/index.js';
import { HubError } from './errors.js';
import { Planner } from './planner.js';

let store: Store;
let planner: Planner;
beforeEach(async () => {
  store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
  await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
  planner = new Planner(store, undefined);
});
afterEach(async () => {
  await store.close();
});

/** A profile of one manifest pack holding one ConfigMap whose data quotes the variable `greeting`. */
function source(name: string, pack: string): string {
  return [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    `metadata: { name: ${name} }`,
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    '  variables:',
    '    - { name: greeting, default: hello }',
    '  packs:',
    `    - name: ${pack}`,
    '      layer: addon',
    '      version: 1.0.0',
    '      type: manifest',
    '      namespace: apps',
    '      manifests:',
    `        - { apiVersion: v1, kind: ConfigMap, metadata: { name: ${pack} }, data: { text: "{{ .strata.var.greeting }}" } }`,
    '',
  ].join('\n');
}

/** Publishes the profile's source with its parsed form, changed by `edit` (to tell which one a plan used). */
async function publish(
  name: string,
  pack: string,
  edit: (profile: ClusterProfile) => ClusterProfile = (p) => p,
): Promise<void> {
  const text = source(name, pack);
  const parsed = parseProfiles(text, { file: `${name}.yaml` });
  const profile = parsed.ok ? parsed.value[0]?.profile : undefined;
  if (profile === undefined) throw new Error(`${name} does not parse`);
  await store.profiles.publish({
    source: text,
    profile: edit(profile),
    parserVersion: PROFILE_PARSER_VERSION,
  });
}

/** The profile with its variable's default changed: a plan from the parsed form resolves to `greeting`. */
const greeting =
  (value: number | string) =>
  (profile: ClusterProfile): ClusterProfile => ({
    ...profile,
    spec: {
      ...profile.spec,
      variables: profile.spec.variables.map((v) => ({ ...v, default: value as string })),
    },
  });

/** Attaches as Attachments.save does: planned, stored, then kept once it is what the cluster runs. */
async function attach(profile: string, values: Record<string, string> = {}): Promise<void> {
  const plan = await planner.plan('prod', { profile, version: '1.0.0', values });
  await store.attachments.attach({ cluster: 'prod', profile, version: '1.0.0', values, sensitive: [] });
  planner.keep('prod', plan);
}

/** The data of the pack's ConfigMap, as resolved. */
const dataOf = (desired: DesiredPack | undefined): unknown =>
  desired?.pack.type === 'manifest' ? desired.pack.manifests[0]?.data : undefined;

describe('Planner', () => {
  it('plans the next attachment without loading the ones it kept again, sharing their packs', async () => {
    await publish('a', 'a1');
    await publish('b', 'b1');
    const first = await planner.plan('prod', { profile: 'a', version: '1.0.0', values: {} });
    await store.attachments.attach({
      cluster: 'prod',
      profile: 'a',
      version: '1.0.0',
      values: {},
      sensitive: [],
    });
    planner.keep('prod', first);
    const loads = vi.spyOn(store.profiles, 'get');
    const next = await planner.plan('prod', { profile: 'b', version: '1.0.0', values: {} });
    expect(loads.mock.calls.map(([name]) => name)).toEqual(['b']);
    expect(next.desired.map((d) => d.pack.name)).toEqual(['a1', 'b1']);
    // The very object the runner holds for a1 (no second copy of its manifests).
    expect(next.desired[0]?.pack).toBe(first.desired[0]?.pack);
    expect(dataOf(next.desired[0])).toEqual({ text: 'hello' });
  });

  it('loads a kept attachment again when its values change, and never reuses a preview', async () => {
    await publish('a', 'a1');
    await attach('a');
    const preview = await planner.plan('prod', {
      profile: 'a',
      version: '1.0.0',
      values: { greeting: 'hi' },
    });
    expect(dataOf(preview.desired[0])).toEqual({ text: 'hi' });
    // The preview was not kept: the stored values still plan as they were.
    const plain = await planner.plan('prod');
    expect(dataOf(plain.desired[0])).toEqual({ text: 'hello' });
    await store.attachments.update('prod', 'a', {
      version: '1.0.0',
      values: { greeting: 'hey' },
      sensitive: [],
    });
    const changed = await planner.plan('prod');
    expect(dataOf(changed.desired[0])).toEqual({ text: 'hey' });
  });

  it('reports issues at their line in a kept profile, not at the start of its file', async () => {
    await publish('a', 'shared');
    await publish('c', 'shared');
    await attach('a');
    const refused = await planner.plan('prod', { profile: 'c', version: '1.0.0', values: {} }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(HubError);
    // The first `shared` is on line 10 of a's source (`- name: shared`).
    expect((refused as HubError).message).toContain('already used in profile "a" at a@1.0.0:10:');
  });

  it('plans a stored version from its parsed form, not by parsing its YAML source again', async () => {
    await publish('a', 'a1', greeting('from the parsed form'));
    const plan = await planner.plan('prod', { profile: 'a', version: '1.0.0', values: {} });
    expect(dataOf(plan.desired[0])).toEqual({ text: 'from the parsed form' });
  });

  it('parses the source of a version whose parsed form another parser version wrote', async () => {
    await publish('a', 'a1', greeting('from the parsed form'));
    const get = store.profiles.get.bind(store.profiles);
    vi.spyOn(store.profiles, 'get').mockImplementation(async (name, version) => {
      const stored = await get(name, version);
      return stored && { ...stored, parserVersion: PROFILE_PARSER_VERSION - 1 };
    });
    const plan = await planner.plan('prod', { profile: 'a', version: '1.0.0', values: {} });
    expect(dataOf(plan.desired[0])).toEqual({ text: 'hello' });
  });

  it('parses the source of a version whose parsed form JSON cannot carry (a NaN)', async () => {
    // What the source's YAML `.nan` parses to; stored as JSON it would read back as null.
    await publish('a', 'a1', (p) => ({
      ...greeting('from the parsed form')(p),
      spec: { ...p.spec, description: Number.NaN as unknown as string },
    }));
    expect((await store.profiles.get('a', '1.0.0'))?.parserVersion).toBe(0);
    const plan = await planner.plan('prod', { profile: 'a', version: '1.0.0', values: {} });
    expect(dataOf(plan.desired[0])).toEqual({ text: 'hello' });
  });

  it('reports issues at their line in a profile planned from its parsed form (nothing kept)', async () => {
    await publish('a', 'shared');
    await publish('c', 'shared');
    await store.attachments.attach({
      cluster: 'prod',
      profile: 'a',
      version: '1.0.0',
      values: {},
      sensitive: [],
    });
    const refused = await planner.plan('prod', { profile: 'c', version: '1.0.0', values: {} }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(HubError);
    expect((refused as HubError).message).toContain('already used in profile "a" at a@1.0.0:10:');
  });

  it('reports a value the profile does not declare at the line of its variables', async () => {
    await publish('a', 'a1');
    const refused = await planner
      .plan('prod', { profile: 'a', version: '1.0.0', values: { greting: 'hi' } })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(HubError);
    expect((refused as HubError).message).toContain('did you mean "greeting"?');
    // The variables' list starts on line 8 of the source; from the parsed form alone it would be 1:1.
    expect((refused as HubError).issues).toMatchObject([
      { file: 'a@1.0.0', line: 8, path: 'values.greting' },
    ]);
  });

  it('drops what it kept of a cluster once told to (its runner stopped)', async () => {
    await publish('a', 'a1');
    await attach('a');
    planner.forget('prod');
    const loads = vi.spyOn(store.profiles, 'get');
    await planner.plan('prod');
    expect(loads.mock.calls.map(([name]) => name)).toEqual(['a']);
  });

  it('drops what it kept of a profile once a plan removes it', async () => {
    await publish('a', 'a1');
    await attach('a');
    const removed = await planner.plan('prod', { profile: 'a', remove: true });
    expect(removed.desired).toEqual([]);
    const loads = vi.spyOn(store.profiles, 'get');
    await planner.plan('prod');
    expect(loads.mock.calls.map(([name]) => name)).toEqual(['a']);
  });
});
