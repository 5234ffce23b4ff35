// Rules over the set of profiles attached to one cluster: at most one infra/full profile, layers that fit each
// profile type, pack names unique across the cluster, dependsOn targets that exist, respect install order, and
// form no cycle.
import { suggest } from '../shared/did-you-mean.js';
import { formatIssue, IssueKind, type ProfileIssue } from './errors.js';
import { formatPath, type FieldPath, type Pack } from './model.js';
import type { ParsedProfile } from './parse.js';
import { Layer, LAYERS, ProfileType, type ProfileType as ProfileTypeT } from './schema.js';
import { assertNever } from '../shared/assert-never.js';

/** Layers each profile type may hold. */
export const ALLOWED_LAYERS: Record<ProfileTypeT, readonly Layer[]> = {
  [ProfileType.Infra]: [Layer.Os, Layer.K8s, Layer.Cni, Layer.Csi],
  [ProfileType.AddOn]: [Layer.Addon],
  [ProfileType.Full]: LAYERS,
};

export interface ClusterPack {
  readonly pack: Pack;
  readonly profile: ParsedProfile;
  /** Index in its profile's spec.packs. */
  readonly index: number;
}

/** `cni/calico`: how packs are named in plans and messages. */
export function packLabel(pack: Pick<Pack, 'layer' | 'name'>): string {
  return `${pack.layer}/${pack.name}`;
}

export function clusterPacks(profiles: readonly ParsedProfile[]): ClusterPack[] {
  return profiles.flatMap((profile) =>
    profile.profile.spec.packs.map((pack, index) => ({ pack, profile, index })),
  );
}

export function checkComposition(profiles: readonly ParsedProfile[]): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const add = (
    profile: ParsedProfile,
    kind: ProfileIssue['kind'],
    path: FieldPath,
    message: string,
  ): void => {
    issues.push({ ...profile.source.position(path), kind, path: formatPath(path), message });
  };

  let base: ParsedProfile | undefined;
  for (const profile of profiles) {
    const type = profile.profile.spec.type;
    switch (type) {
      case ProfileType.Infra:
      case ProfileType.Full:
        if (base === undefined) base = profile;
        else {
          add(
            profile,
            IssueKind.Composition,
            ['spec', 'type'],
            `a cluster takes at most one infra or full profile; ${describeProfile(base)} is already attached`,
          );
        }
        break;
      case ProfileType.AddOn:
        break;
      default:
        assertNever(type);
    }
    const allowed = ALLOWED_LAYERS[type];
    profile.profile.spec.packs.forEach((pack, index) => {
      if (!allowed.includes(pack.layer)) {
        add(
          profile,
          IssueKind.Composition,
          ['spec', 'packs', index, 'layer'],
          `expected one of ${allowed.join(', ')} in ${type === ProfileType.Full ? 'a' : 'an'} ${type} profile; got ${JSON.stringify(pack.layer)}`,
        );
      }
    });
  }

  const packs = clusterPacks(profiles);
  const byName = new Map<string, ClusterPack>();
  for (const entry of packs) {
    const first = byName.get(entry.pack.name);
    if (first === undefined) byName.set(entry.pack.name, entry);
    else {
      const where = formatIssue({
        ...first.profile.source.position(['spec', 'packs', first.index, 'name']),
        kind: IssueKind.Duplicate,
        path: '',
        message: '',
      }).trimEnd();
      add(
        entry.profile,
        IssueKind.Duplicate,
        ['spec', 'packs', entry.index, 'name'],
        `duplicate pack name ${JSON.stringify(entry.pack.name)}; already used in profile ${JSON.stringify(first.profile.profile.metadata.name)} at ${where}`,
      );
    }
  }

  const names = [...byName.keys()];
  for (const entry of packs) {
    entry.pack.dependsOn.forEach((target, depIndex) => {
      const path = ['spec', 'packs', entry.index, 'dependsOn', depIndex];
      const dep = byName.get(target);
      if (dep === undefined) {
        const hint = suggest(target, names);
        add(
          entry.profile,
          IssueKind.InvalidValue,
          path,
          `pack ${JSON.stringify(entry.pack.name)} depends on unknown pack ${JSON.stringify(target)}${hint === undefined ? '' : `; did you mean ${JSON.stringify(hint)}?`}`,
        );
        return;
      }
      const order = compareOrder(dep.pack, entry.pack);
      if (order > 0) {
        add(
          entry.profile,
          IssueKind.Ordering,
          path,
          `${packLabel(entry.pack)} (priority ${entry.pack.installPriority}) cannot depend on ${packLabel(dep.pack)} (priority ${dep.pack.installPriority}), which installs later by layer or priority; move it or drop the dependency`,
        );
      }
    });
  }

  const graph = new Map([...byName].map(([name, entry]) => [name, entry.pack.dependsOn]));
  for (const cycle of findDependencyCycles(graph)) {
    const [first] = cycle;
    const entry = first === undefined ? undefined : byName.get(first);
    if (entry === undefined) continue;
    const next = cycle[1] ?? first;
    const depIndex = entry.pack.dependsOn.indexOf(next ?? '');
    add(
      entry.profile,
      IssueKind.Cycle,
      ['spec', 'packs', entry.index, 'dependsOn', depIndex],
      `dependency cycle: ${cycle.join(' -> ')}`,
    );
  }
  return issues;
}

/** Negative when `a` installs in an earlier (layer, priority) group than `b`, 0 in the same group. */
export function compareOrder(
  a: Pick<Pack, 'layer' | 'installPriority'>,
  b: Pick<Pack, 'layer' | 'installPriority'>,
): number {
  return LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer) || a.installPriority - b.installPriority;
}

function describeProfile(profile: ParsedProfile): string {
  return `${JSON.stringify(profile.profile.metadata.name)} (${profile.profile.spec.type}, ${profile.source.file})`;
}

/**
 * Each cycle of a dependency graph found by DFS, once, as names starting at its smallest name and ending where it
 * began. `dependsOn` maps each name to the names it waits for; edges to names not in the map are ignored. Used for
 * one profile at parse time and for all of a cluster's packs here.
 */
export function findDependencyCycles(dependsOn: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles = new Map<string, string[]>();
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of dependsOn.get(name) ?? []) {
      if (!dependsOn.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === 'visiting') {
        const loop = stack.slice(stack.indexOf(dep));
        const start = loop.indexOf([...loop].sort()[0] ?? dep);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.set(rotated.join('\0'), [...rotated, rotated[0] ?? dep]);
      } else if (seen === undefined) {
        visit(dep);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of dependsOn.keys()) if (!state.has(name)) visit(name);
  return [...cycles.values()];
}
