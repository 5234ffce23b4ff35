// Install waves for one cluster, as a pure function. The layers os, k8s, cni and csi are ordered cluster-wide;
// in the addon layer each profile is a lane of its own, ordered among itself and after the cluster's last
// infra wave, so one add-on profile's red pack does not hold back another's. Within a lane: install priority
// (lowest first), then dependsOn (a pack goes in a later wave than everything it depends on, in any lane:
// that is the only way one add-on profile waits for another). Packs of a lane's wave install together; the
// lane's next wave starts when its current one is ready. Removal is the reverse. Each pack carries a sentence
// saying why it sits where it does.
import { checkComposition, clusterPacks, compareOrder, packLabel, type ClusterPack } from './compose.js';
import type { ProfileResult } from './errors.js';
import { PrioritySource, type Pack } from './model.js';
import type { ParsedProfile } from './parse.js';
import { Layer } from './schema.js';
import { assertNever } from '../shared/assert-never.js';

export interface PlannedPack {
  readonly pack: Pack;
  readonly profile: { readonly name: string; readonly version: string };
  /** 1-based wave number; packs of different add-on profiles share numbers but do not wait for each other. */
  readonly wave: number;
  /** Packs (`layer/name`) this one waits for because of dependsOn. */
  readonly after: readonly string[];
  /** e.g. `wave 3: profile tools, layer addon, priority 0, after cni/calico (dependsOn)` */
  readonly explanation: string;
}

export interface Wave {
  /** 1-based. */
  readonly index: number;
  readonly packs: readonly PlannedPack[];
}

export interface InstallPlan {
  readonly waves: readonly Wave[];
  /** The same waves in reverse, for uninstall: the last installed goes first. */
  readonly removal: readonly Wave[];
}

/** What ordering needs to know of a pack already placed in its wave (a planned pack, or one the runner runs). */
export interface OrderedPack {
  readonly name: string;
  readonly layer: Layer;
  readonly profile: string;
  readonly wave: number;
  readonly dependsOn: readonly string[];
}

/** The infra layers share one cluster-wide lane; each profile's addon packs are a lane of their own. */
const CLUSTER_LANE = '';

function laneOf(pack: Pick<OrderedPack, 'layer' | 'profile'>): string {
  return pack.layer === Layer.Addon ? `profile ${pack.profile}` : CLUSTER_LANE;
}

/**
 * The packs each pack waits for directly: its lane's previous wave (for an add-on profile's first wave, the
 * cluster's last infra wave) and its dependsOn targets. Waiting is transitive through these, so a pack never
 * needs comparing with every other; the runner calls this with the packs it runs, whose waves come from
 * planWaves. Targets not among `packs` (removed, or not attached) are left out.
 *
 * Packs with no dependsOn of their own get the very array of the wave before (read-only, shared): every pack of
 * a wave waits for the whole wave before it, so copying that list per pack made this quadratic in a wave's
 * size (issue 15: 200,000 names for 1,000 packs in 5 waves, on each change of the runner's packs).
 */
export function predecessors(packs: readonly OrderedPack[]): Map<string, readonly string[]> {
  const names = new Set(packs.map((p) => p.name));
  // Lane → its waves, each with its packs.
  const lanes = new Map<string, Map<number, string[]>>();
  for (const p of packs) {
    const lane = lanes.get(laneOf(p)) ?? new Map<number, string[]>();
    lanes.set(laneOf(p), lane);
    const wave = lane.get(p.wave);
    if (wave === undefined) lane.set(p.wave, [p.name]);
    else wave.push(p.name);
  }
  const sortedWaves = new Map(
    [...lanes].map(([lane, waves]) => [lane, [...waves.keys()].sort((a, b) => a - b)]),
  );
  const previousWave = (lane: string, wave: number): string[] | undefined => {
    const earlier = sortedWaves.get(lane)?.filter((w) => w < wave) ?? [];
    const last = earlier.at(-1);
    return last === undefined ? undefined : lanes.get(lane)?.get(last);
  };
  /** What the packs of a lane's wave wait for (before dependsOn), once per wave. */
  const before = new Map<string, readonly string[]>();
  const NONE: readonly string[] = [];
  const out = new Map<string, readonly string[]>();
  for (const p of packs) {
    const lane = laneOf(p);
    const key = `${lane}\n${String(p.wave)}`;
    let previous = before.get(key);
    if (previous === undefined) {
      previous =
        previousWave(lane, p.wave) ??
        (lane === CLUSTER_LANE ? NONE : (previousWave(CLUSTER_LANE, p.wave) ?? NONE));
      before.set(key, previous);
    }
    if (p.dependsOn.length === 0) {
      out.set(p.name, previous);
      continue;
    }
    const listed = new Set(previous);
    const deps = p.dependsOn.filter((d) => names.has(d) && !listed.has(d));
    out.set(p.name, deps.length === 0 ? previous : [...previous, ...deps]);
  }
  return out;
}

/** Checks composition, then plans. Issues point at the profile files. */
export function planCluster(profiles: readonly ParsedProfile[]): ProfileResult<InstallPlan> {
  const issues = checkComposition(profiles);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: planWaves(clusterPacks(profiles)) };
}

/** Plans packs that already passed checkComposition (dependencies exist, point backwards, no cycles). */
export function planWaves(packs: readonly ClusterPack[]): InstallPlan {
  // Groups of equal (layer, priority), in install order, across lanes: a dependency never points to a later
  // group (checkComposition), so every dependency is placed before the packs that need it.
  const sorted = [...packs].sort(
    (a, b) => compareOrder(a.pack, b.pack) || a.pack.name.localeCompare(b.pack.name),
  );
  const groups: ClusterPack[][] = [];
  for (const entry of sorted) {
    const current = groups.at(-1);
    const head = current?.[0];
    if (current !== undefined && head !== undefined && compareOrder(head.pack, entry.pack) === 0)
      current.push(entry);
    else groups.push([entry]);
  }

  const waveOf = new Map<string, number>();
  const byName = new Map(packs.map((entry) => [entry.pack.name, entry]));
  /** Per lane: the last wave placed so far, and the first pack of its latest (layer, priority) group. */
  const lanes = new Map<string, { lastWave: number; group: Pack }>();
  const planned: PlannedPack[] = [];
  for (const group of groups) {
    const inGroup = new Set(group.map((entry) => entry.pack.name));
    // The wave each lane's part of this group starts at, and the group it follows (for the explanation).
    const floors = new Map<string, { floor: number; previous: Pack | undefined }>();
    for (const entry of group) {
      const lane = laneOf({ layer: entry.pack.layer, profile: profileName(entry) });
      if (floors.has(lane)) continue;
      const before = lanes.get(lane) ?? (lane === CLUSTER_LANE ? undefined : lanes.get(CLUSTER_LANE));
      floors.set(lane, { floor: (before?.lastWave ?? 0) + 1, previous: before?.group });
    }
    const placing = new Set<string>();
    const place = (entry: ClusterPack): number => {
      const known = waveOf.get(entry.pack.name);
      if (known !== undefined) return known;
      const lane = laneOf({ layer: entry.pack.layer, profile: profileName(entry) });
      let wave = floors.get(lane)?.floor ?? 1;
      placing.add(entry.pack.name);
      for (const dep of entry.pack.dependsOn) {
        const target = byName.get(dep);
        // Cycles were rejected by checkComposition; stay finite anyway.
        if (target === undefined || placing.has(dep)) continue;
        const depWave = inGroup.has(dep) ? place(target) : waveOf.get(dep);
        if (depWave !== undefined) wave = Math.max(wave, depWave + 1);
      }
      placing.delete(entry.pack.name);
      waveOf.set(entry.pack.name, wave);
      return wave;
    };
    for (const entry of group) {
      const wave = place(entry);
      const lane = laneOf({ layer: entry.pack.layer, profile: profileName(entry) });
      planned.push(
        explain(
          {
            pack: entry.pack,
            profile: { name: profileName(entry), version: entry.profile.profile.spec.version },
            wave,
            after: [],
            explanation: '',
          },
          { previousGroup: floors.get(lane)?.previous, byName },
        ),
      );
    }
    for (const entry of group) {
      const lane = laneOf({ layer: entry.pack.layer, profile: profileName(entry) });
      const wave = waveOf.get(entry.pack.name) ?? 1;
      const last = lanes.get(lane);
      lanes.set(lane, { lastWave: Math.max(wave, last?.lastWave ?? 0), group: group[0]?.pack ?? entry.pack });
    }
  }

  const waves: Wave[] = [];
  for (const entry of planned) {
    const wave = waves[entry.wave - 1] ?? { index: entry.wave, packs: [] };
    waves[entry.wave - 1] = { index: entry.wave, packs: [...wave.packs, entry] };
  }
  const dense = waves.filter((wave) => wave.packs.length > 0);
  return { waves: dense, removal: [...dense].reverse() };
}

function profileName(entry: ClusterPack): string {
  return entry.profile.profile.metadata.name;
}

function explain(
  entry: PlannedPack,
  context: { previousGroup: Pack | undefined; byName: ReadonlyMap<string, ClusterPack> },
): PlannedPack {
  const { pack } = entry;
  const parts = [
    `wave ${entry.wave}: profile ${entry.profile.name}, layer ${pack.layer}, priority ${pack.installPriority}${prioritySuffix(pack)}`,
  ];
  const deps = pack.dependsOn
    .map((name) => context.byName.get(name))
    .filter((dep): dep is ClusterPack => dep !== undefined);
  const after = deps.map((dep) => packLabel(dep.pack));
  if (after.length > 0) {
    // A dependency in another profile is the one link between profiles: say so.
    const labels = deps.map((dep) =>
      profileName(dep) === entry.profile.name
        ? packLabel(dep.pack)
        : `${packLabel(dep.pack)} of profile ${profileName(dep)}`,
    );
    parts.push(`after ${labels.join(', ')} (dependsOn)`);
  } else if (context.previousGroup !== undefined) {
    const prev = context.previousGroup;
    parts.push(
      prev.layer === pack.layer
        ? `after the ${prev.layer} packs of priority ${prev.installPriority}`
        : `after the ${prev.layer} layer`,
    );
  } else {
    parts.push('first');
  }
  return { ...entry, after, explanation: parts.join(', ') };
}

function prioritySuffix(pack: Pack): string {
  switch (pack.prioritySource) {
    case PrioritySource.Default:
      return ' (default)';
    case PrioritySource.Pack:
      return '';
    case PrioritySource.ValuesPackBlock:
      return ' (from the values pack block)';
    default:
      return assertNever(pack.prioritySource);
  }
}
