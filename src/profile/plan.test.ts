import { describe, expect, it } from 'vitest';
import { checkComposition } from './compose.js';
import { formatIssues } from './errors.js';
import { planCluster, predecessors, type InstallPlan } from './plan.js';
import type { Layer } from './schema.js';
import { parseOk, profileText } from './testing/profiles.js';

/** A pack as YAML; manifest packs keep the fixtures short. */
function pack(name: string, layer: string, extra: Record<string, string> = {}): string {
  const lines = [
    `- name: ${name}`,
    `  layer: ${layer}`,
    '  version: 1.0.0',
    '  type: manifest',
    '  manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: cm } }]',
  ];
  for (const [key, value] of Object.entries(extra)) lines.push(`  ${key}: ${value}`);
  return lines.join('\n');
}

function profile(name: string, type: string, packs: string[], file = `${name}.yaml`) {
  return parseOk(profileText({ name, type, packs: packs.join('\n') }), file);
}

function waves(plan: InstallPlan): string[][] {
  return plan.waves.map((wave) => wave.packs.map((p) => p.pack.name));
}

function planOk(...profiles: ReturnType<typeof profile>[]): InstallPlan {
  const result = planCluster(profiles);
  if (!result.ok) throw new Error(formatIssues(result.issues));
  return result.value;
}

function problems(...profiles: ReturnType<typeof profile>[]): string[] {
  return checkComposition(profiles).map((issue) => formatIssues([issue]));
}

describe('planCluster: install waves', () => {
  it('orders by layer os, k8s, cni, csi, addon whatever the file order', () => {
    const infra = profile('base', 'infra', [
      pack('csi', 'csi'),
      pack('cni', 'cni'),
      pack('os', 'os'),
      pack('k8s', 'k8s'),
    ]);
    const addons = profile('tools', 'add-on', [pack('tool', 'addon')]);
    expect(waves(planOk(addons, infra))).toEqual([['os'], ['k8s'], ['cni'], ['csi'], ['tool']]);
  });

  it('puts packs of the same layer and priority in one wave, to install together', () => {
    const plan = planOk(
      profile('tools', 'add-on', [pack('b', 'addon'), pack('a', 'addon'), pack('c', 'addon')]),
    );
    expect(waves(plan)).toEqual([['a', 'b', 'c']]);
  });

  it('installs lower installPriority first within a layer, negative included', () => {
    const plan = planOk(
      profile('tools', 'add-on', [
        pack('late', 'addon', { installPriority: '10' }),
        pack('normal', 'addon'),
        pack('early', 'addon', { installPriority: '-5' }),
      ]),
    );
    expect(waves(plan)).toEqual([['early'], ['normal'], ['late']]);
  });

  it('puts a pack in a later wave than the packs it depends on, and explains why', () => {
    const infra = profile('base', 'infra', [pack('calico', 'cni')]);
    const tools = profile('tools', 'add-on', [
      pack('db', 'addon'),
      pack('app', 'addon', { dependsOn: '[db, calico]' }),
      pack('cache', 'addon'),
    ]);
    const plan = planOk(infra, tools);
    expect(waves(plan)).toEqual([['calico'], ['cache', 'db'], ['app']]);
    expect(plan.waves.flatMap((w) => w.packs.map((p) => p.explanation))).toEqual([
      'wave 1: profile base, layer cni, priority 0 (default), first',
      'wave 2: profile tools, layer addon, priority 0 (default), after the cni layer',
      'wave 2: profile tools, layer addon, priority 0 (default), after the cni layer',
      'wave 3: profile tools, layer addon, priority 0 (default), after addon/db, cni/calico of profile base (dependsOn)',
    ]);
  });

  it('uses the Palette pack block priority and says where it came from', () => {
    const tools = parseOk(
      profileText({
        type: 'add-on',
        packs: `
- name: relay
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./relay }
  values: { pack: { spectrocloud.com/install-priority: "10" } }
- name: store
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./store }`,
      }),
    );
    const plan = planOk(tools);
    expect(waves(plan)).toEqual([['store'], ['relay']]);
    expect(plan.waves[1]?.packs[0]?.explanation).toBe(
      'wave 2: profile demo, layer addon, priority 10 (from the values pack block), after the addon packs of priority 0',
    );
  });

  it('removes in the reverse order of installation', () => {
    const plan = planOk(
      profile('base', 'full', [
        pack('a', 'os'),
        pack('b', 'addon'),
        pack('c', 'addon', { dependsOn: '[b]' }),
      ]),
    );
    expect(plan.removal.map((w) => w.packs.map((p) => p.pack.name))).toEqual([['c'], ['b'], ['a']]);
  });
});

describe('planCluster: each add-on profile is ordered on its own', () => {
  /** Each pack as `profile/name@wave`, in plan order. */
  function placed(plan: InstallPlan): string[] {
    return plan.waves.flatMap((w) => w.packs.map((p) => `${p.profile.name}/${p.pack.name}@${w.index}`));
  }

  it('starts every add-on profile right after the infra layers, whatever the other profiles hold', () => {
    const plan = planOk(
      profile('base', 'infra', [pack('calico', 'cni')]),
      profile('monitoring', 'add-on', [
        pack('quotas', 'addon', { installPriority: '-5' }),
        pack('store', 'addon'),
        pack('relay', 'addon', { installPriority: '10' }),
      ]),
      profile('ingress', 'add-on', [pack('nginx', 'addon')]),
    );
    // Before, nginx waited in wave 3 for monitoring/quotas (priority -5) although nothing links them.
    expect(placed(plan)).toEqual([
      'base/calico@1',
      'monitoring/quotas@2',
      'ingress/nginx@2',
      'monitoring/store@3',
      'monitoring/relay@4',
    ]);
    expect(plan.waves[1]?.packs.map((p) => p.explanation)).toEqual([
      'wave 2: profile monitoring, layer addon, priority -5, after the cni layer',
      'wave 2: profile ingress, layer addon, priority 0 (default), after the cni layer',
    ]);
  });

  it('orders a profile by priority, then dependsOn, among its own packs only', () => {
    const plan = planOk(
      profile('one', 'add-on', [pack('a', 'addon'), pack('b', 'addon', { dependsOn: '[a]' })]),
      profile('two', 'add-on', [pack('c', 'addon', { installPriority: '3' }), pack('d', 'addon')]),
    );
    expect(placed(plan)).toEqual(['one/a@1', 'two/d@1', 'one/b@2', 'two/c@2']);
    expect(plan.waves[1]?.packs.map((p) => p.explanation)).toEqual([
      'wave 2: profile one, layer addon, priority 0 (default), after addon/a (dependsOn)',
      'wave 2: profile two, layer addon, priority 3, after the addon packs of priority 0',
    ]);
  });

  it('makes a profile wait for another only through an explicit dependsOn, and says which profile', () => {
    const plan = planOk(
      profile('platform', 'add-on', [
        pack('crds', 'addon', { installPriority: '-1' }),
        pack('ingress', 'addon'),
      ]),
      profile('apps', 'add-on', [pack('web', 'addon', { dependsOn: '[ingress]' }), pack('worker', 'addon')]),
    );
    expect(placed(plan)).toEqual(['platform/crds@1', 'apps/worker@1', 'platform/ingress@2', 'apps/web@3']);
    const web = plan.waves.flatMap((w) => w.packs).find((p) => p.pack.name === 'web');
    expect(web?.after).toEqual(['addon/ingress']);
    expect(web?.explanation).toBe(
      'wave 3: profile apps, layer addon, priority 0 (default), after addon/ingress of profile platform (dependsOn)',
    );
  });

  it('pushes the rest of a profile after a pack that waits for another profile', () => {
    const plan = planOk(
      profile('platform', 'add-on', [
        pack('x', 'addon', { installPriority: '-2' }),
        pack('y', 'addon', { installPriority: '-1' }),
      ]),
      profile('apps', 'add-on', [
        pack('web', 'addon', { installPriority: '-1', dependsOn: '[y]' }),
        pack('late', 'addon'),
      ]),
    );
    expect(placed(plan)).toEqual(['platform/x@1', 'platform/y@2', 'apps/web@3', 'apps/late@4']);
  });
});

describe('predecessors: what each pack waits for directly', () => {
  const ordered = (
    name: string,
    layer: 'os' | 'cni' | 'addon',
    profile: string,
    wave: number,
    dependsOn: string[] = [],
  ) => ({
    name,
    layer,
    profile,
    wave,
    dependsOn,
  });

  it('is the previous wave of its own lane, the last infra wave for a first add-on wave, plus dependsOn', () => {
    const result = predecessors([
      ordered('os', 'os', 'base', 1),
      ordered('calico', 'cni', 'base', 2),
      ordered('store', 'addon', 'monitoring', 3),
      ordered('dash', 'addon', 'monitoring', 4, ['store']),
      ordered('nginx', 'addon', 'ingress', 3),
      ordered('web', 'addon', 'apps', 5, ['dash']),
    ]);
    expect(Object.fromEntries(result)).toEqual({
      os: [],
      calico: ['os'],
      store: ['calico'],
      dash: ['store'],
      nginx: ['calico'],
      web: ['calico', 'dash'],
    });
  });

  it('gives the packs of a wave one list of the wave before, not a copy each (linear in the size of a wave)', () => {
    const wave = (n: number, w: number) =>
      Array.from({ length: n }, (_, i) => ordered(`w${String(w)}-${String(i)}`, 'addon', 'apps', w));
    const result = predecessors([...wave(3, 1), ...wave(3, 2), ordered('dep', 'addon', 'apps', 2, ['w1-0'])]);
    expect(result.get('w2-0')).toEqual(['w1-0', 'w1-1', 'w1-2']);
    expect(result.get('w2-1')).toBe(result.get('w2-0'));
    expect(result.get('dep')).toBe(result.get('w2-0'));
  });

  it('leaves out packs that are not there (removed or detached) and closes the gap in a lane', () => {
    const result = predecessors([
      ordered('a', 'addon', 'one', 1),
      ordered('c', 'addon', 'one', 3, ['b', 'gone']),
    ]);
    expect(result.get('c')).toEqual(['a']);
  });
});

describe('checkComposition: the profiles attached to one cluster', () => {
  it('accepts one infra profile plus any number of add-ons', () => {
    const result = problems(
      profile('base', 'infra', [pack('os', 'os')]),
      profile('one', 'add-on', [pack('a', 'addon')]),
      profile('two', 'add-on', [pack('b', 'addon')]),
    );
    expect(result).toEqual([]);
  });

  it('rejects a second infra or full profile', () => {
    const result = problems(
      profile('base', 'infra', [pack('os', 'os')]),
      profile('other', 'full', [pack('a', 'addon')]),
    );
    expect(result).toEqual([
      'other.yaml:7:9 spec.type: a cluster takes at most one infra or full profile; "base" (infra, base.yaml) is already attached',
    ]);
  });

  it('keeps infra profiles to os, k8s, cni, csi and add-on profiles to addon', () => {
    // Parsing refuses such a profile (see profile-rules.test.ts); a profile built in code still meets this check.
    const moved = (parsed: ReturnType<typeof profile>, layer: Layer): ReturnType<typeof profile> => ({
      ...parsed,
      profile: {
        ...parsed.profile,
        spec: { ...parsed.profile.spec, packs: parsed.profile.spec.packs.map((p) => ({ ...p, layer })) },
      },
    });
    const result = problems(
      moved(profile('base', 'infra', [pack('a', 'os')]), 'addon'),
      moved(profile('tools', 'add-on', [pack('b', 'addon')]), 'cni'),
    );
    expect(result).toEqual([
      'base.yaml:10:14 spec.packs[0].layer: expected one of os, k8s, cni, csi in an infra profile; got "addon"',
      'tools.yaml:10:14 spec.packs[0].layer: expected one of addon in an add-on profile; got "cni"',
    ]);
  });

  it('rejects a pack name used twice in the cluster, pointing at both', () => {
    const result = problems(
      profile('one', 'add-on', [pack('web', 'addon')]),
      profile('two', 'add-on', [pack('web', 'addon')]),
    );
    expect(result).toEqual([
      'two.yaml:9:13 spec.packs[0].name: duplicate pack name "web"; already used in profile "one" at one.yaml:9:13',
    ]);
  });

  it('rejects a dependsOn on a pack that does not exist, with a suggestion', () => {
    const result = problems(
      profile('one', 'add-on', [pack('database', 'addon'), pack('app', 'addon', { dependsOn: '[databse]' })]),
    );
    expect(result).toEqual([
      'one.yaml:19:19 spec.packs[1].dependsOn[0]: pack "app" depends on unknown pack "databse"; did you mean "database"?',
    ]);
  });

  it('names a dependency cycle across profiles (one inside a profile is refused at parse time)', () => {
    const result = problems(
      profile('one', 'add-on', [pack('a', 'addon', { dependsOn: '[b]' })]),
      profile('two', 'add-on', [
        pack('b', 'addon', { dependsOn: '[c]' }),
        pack('c', 'addon', { dependsOn: '[a]' }),
      ]),
    );
    expect(result).toEqual(['one.yaml:14:19 spec.packs[0].dependsOn[0]: dependency cycle: a -> b -> c -> a']);
  });

  it('rejects a dependency that would install later by layer or priority', () => {
    const result = problems(
      profile('base', 'full', [
        pack('cni', 'cni', { dependsOn: '[app]' }),
        pack('app', 'addon'),
        pack('first', 'addon', { installPriority: '-1', dependsOn: '[app]' }),
      ]),
    );
    expect(result).toEqual([
      'base.yaml:14:19 spec.packs[0].dependsOn[0]: cni/cni (priority 0) cannot depend on addon/app (priority 0), which installs later by layer or priority; move it or drop the dependency',
      'base.yaml:26:19 spec.packs[2].dependsOn[0]: addon/first (priority -1) cannot depend on addon/app (priority 0), which installs later by layer or priority; move it or drop the dependency',
    ]);
  });

  it('refuses to plan when composition fails', () => {
    const result = planCluster([profile('one', 'add-on', [pack('a', 'addon', { dependsOn: '[zzz]' })])]);
    expect(result.ok).toBe(false);
  });
});
