// Install waves for one cluster, as a pure function. Order: layer (os, k8s, cni, csi, addon), then install
// priority (lowest first), then dependsOn (a pack goes in a later wave than everything it depends on). Packs
// of the same wave install together; the next wave starts when the current one is ready. Removal is the
// reverse. Each pack carries a sentence saying why it sits where it does.
import { checkComposition, clusterPacks, compareOrder, packLabel, type ClusterPack } from './compose.js';
import type { ProfileResult } from './errors.js';
import { PrioritySource, type Pack } from './model.js';
import type { ParsedProfile } from './parse.js';
import { assertNever } from './errors.js';

export interface PlannedPack {
  readonly pack: Pack;
  readonly profile: { readonly name: string; readonly version: string };
  /** 1-based wave number. */
  readonly wave: number;
  /** Packs (`layer/name`) this one waits for because of dependsOn. */
  readonly after: readonly string[];
  /** e.g. `wave 3: layer addon, priority 0, after cni/calico (dependsOn)` */
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

/** Checks composition, then plans. Issues point at the profile files. */
export function planCluster(profiles: readonly ParsedProfile[]): ProfileResult<InstallPlan> {
  const issues = checkComposition(profiles);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: planWaves(clusterPacks(profiles)) };
}

/** Plans packs that already passed checkComposition (dependencies exist, point backwards, no cycles). */
export function planWaves(packs: readonly ClusterPack[]): InstallPlan {
  // Groups of equal (layer, priority), in install order.
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
  const planned: PlannedPack[] = [];
  let firstWave = 1;
  let previousGroup: ClusterPack | undefined;
  for (const group of groups) {
    const inGroup = new Set(group.map((entry) => entry.pack.name));
    // Within a group, a pack's level is one more than its deepest same-group dependency.
    const level = new Map<string, number>();
    const levelOf = (entry: ClusterPack, depth = 0): number => {
      const known = level.get(entry.pack.name);
      if (known !== undefined) return known;
      if (depth > group.length) return 0; // Cycles were rejected by checkComposition; stay finite anyway.
      let result = 0;
      for (const dep of entry.pack.dependsOn) {
        const target = inGroup.has(dep) ? group.find((g) => g.pack.name === dep) : undefined;
        if (target !== undefined) result = Math.max(result, levelOf(target, depth + 1) + 1);
      }
      level.set(entry.pack.name, result);
      return result;
    };
    let lastWave = firstWave;
    for (const entry of group) {
      const wave = firstWave + levelOf(entry);
      lastWave = Math.max(lastWave, wave);
      waveOf.set(entry.pack.name, wave);
      planned.push({
        pack: entry.pack,
        profile: { name: entry.profile.profile.metadata.name, version: entry.profile.profile.spec.version },
        wave,
        after: [],
        explanation: '',
      });
    }
    for (const [i, entry] of planned.entries()) {
      if (!inGroup.has(entry.pack.name)) continue;
      planned[i] = explain(entry, { previousGroup: previousGroup?.pack, packs, waveOf });
    }
    previousGroup = group[0];
    firstWave = lastWave + 1;
  }

  const waves: Wave[] = [];
  for (const entry of planned) {
    const wave = waves[entry.wave - 1] ?? { index: entry.wave, packs: [] };
    waves[entry.wave - 1] = { index: entry.wave, packs: [...wave.packs, entry] };
  }
  const dense = waves.filter((wave) => wave.packs.length > 0);
  return { waves: dense, removal: [...dense].reverse() };
}

function explain(
  entry: PlannedPack,
  context: {
    previousGroup: Pack | undefined;
    packs: readonly ClusterPack[];
    waveOf: ReadonlyMap<string, number>;
  },
): PlannedPack {
  const { pack } = entry;
  const parts = [
    `wave ${entry.wave}: layer ${pack.layer}, priority ${pack.installPriority}${prioritySuffix(pack)}`,
  ];
  const deps = pack.dependsOn
    .map((name) => context.packs.find((p) => p.pack.name === name)?.pack)
    .filter((dep): dep is Pack => dep !== undefined);
  const after = deps.map(packLabel);
  if (after.length > 0) parts.push(`after ${after.join(', ')} (dependsOn)`);
  else if (context.previousGroup !== undefined) {
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
