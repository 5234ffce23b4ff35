// Which packs a cluster runs: its attachments' stored profile versions, composed and resolved with their
// values (optionally with one attachment changed or removed). Reads the store, changes nothing.
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desiredPacks, type DesiredPack } from '../engine/index.js';
import {
  detachedSource,
  loadParsedProfiles,
  loadProfileText,
  PROFILE_PARSER_VERSION,
  resolveProfile,
  type FileSource,
  type LoadedProfile,
  type ResolvedProfile,
} from '../profile/index.js';
import type { Store, StoredProfile } from '../store/index.js';
import { ByteLru } from './byte-lru.js';
import { HubError, HubErrorCode, issuesSummary, notFound } from './errors.js';
import { withPinnedCharts } from './chart-pinning.js';
import { chartCache, storedFiles } from './stored-files.js';

export interface PlanChange {
  readonly profile: string;
  readonly version?: string;
  readonly values?: Readonly<Record<string, string>>;
  readonly remove?: boolean;
  /**
   * The names of the values sealed on the current attachment (stored as sensitive): the version planned must
   * declare each of them sensitive too, or the plan is refused before any value is resolved (a version that
   * calls one plain would show it in a diff, an error or the stored values).
   */
  readonly sealed?: readonly string[];
}

/**
 * Stored versions loaded for one request (a preview plans up to three times), by `name@version`. Held by the
 * request and gone with it. A request that brings its own (a preview, which any viewer may send again and
 * again) also has the versions it loads kept briefly, within a small budget (see `parsed`); plans that install
 * keep only their resolved profiles (see KeptProfile).
 */
export type PlanLoads = Map<string, Promise<LoadedProfile>>;

/** Profile source bytes whose parsed form previews keep (parsed, a profile takes several times its source). */
export const PREVIEW_KEPT_SOURCE_BYTES = 4 * 1024 * 1024;
/** A kept version no preview used in this long is dropped: an idle hub holds none. */
export const PREVIEW_KEPT_IDLE_MS = 60_000;

export interface Plan {
  readonly desired: DesiredPack[];
  /** The sensitive variables of the changed profile. */
  readonly sensitive: Set<string>;
  /** Each profile of the plan as resolved, for `Planner.keep` once the plan is what the runner runs. */
  readonly profiles: ReadonlyMap<string, KeptProfile>;
}

/**
 * One attachment as a plan resolved it: what the cluster's next plan uses instead of loading and parsing the
 * stored version again (issue 15: attaching profile after profile re-parsed every profile attached before, so
 * an install of n attachments parsed O(n²) manifests, the largest garbage of an install). It holds no copy:
 * its packs are the very objects the runner holds (DesiredPack.pack), and neither the YAML document nor the
 * unresolved manifests are kept.
 */
interface KeptProfile {
  /** The stored content and values it was resolved from (see keyOf): anything else misses. */
  readonly key: string;
  /** What composition and waves read, with the resolved packs in the file's order and no source positions. */
  readonly loaded: LoadedProfile;
  readonly resolved: ResolvedProfile;
}

/** Which stored content (a draft can be saved again under its version) and which values. */
function keyOf(version: string, contentHash: string, values: Readonly<Record<string, string>>): string {
  const sorted = Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // A digest, so the sealed values are not kept in clear in one more place.
  const digest = createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
  return `${version}\0${contentHash}\0${digest}`;
}

/** `loaded` reduced to what a later plan reads: its packs replaced by their resolved objects. */
function keptProfile(key: string, loaded: LoadedProfile, resolved: ResolvedProfile): KeptProfile {
  const byName = new Map(resolved.packs.map((pack) => [pack.name, pack]));
  const { profile } = loaded;
  return {
    key,
    loaded: {
      profile: {
        ...profile,
        spec: { ...profile.spec, packs: profile.spec.packs.map((pack) => byName.get(pack.name) ?? pack) },
      },
      // Issues of a plan that used kept profiles are found again on fresh loads, with positions (see plan).
      source: detachedSource(loaded.source.file),
      fileManifests: new Map(),
      chartFiles: loaded.chartFiles,
      references: [],
    },
    resolved,
  };
}

/**
 * What one plan() call loads with: its request's loads, whether what it parses is kept (previews), and whether
 * stored versions are parsed from their source for positions (see loadStored).
 */
interface LoadRequest {
  readonly loads: PlanLoads;
  readonly keep: boolean;
  readonly positions: boolean;
}

/** Throws SEALED_VALUE when `version` of `profile` does not declare every sealed value's variable sensitive. */
function refuseUnsealing(
  cluster: string,
  profile: string,
  version: string,
  sealed: readonly string[],
  sensitive: ReadonlySet<string>,
): void {
  const plain = sealed.filter((name) => !sensitive.has(name));
  if (plain.length === 0) return;
  const names = plain.map((n) => JSON.stringify(n)).join(', ');
  throw new HubError(
    HubErrorCode.SealedValue,
    `variable${plain.length === 1 ? '' : 's'} ${names} of profile "${profile}" on cluster "${cluster}" ` +
      `${plain.length === 1 ? 'is' : 'are'} stored sealed (sensitive), but version ${version} does not declare ` +
      `${plain.length === 1 ? 'it' : 'them'} sensitive: a sealed value is never unsealed. Publish a version that ` +
      'keeps them sensitive, or detach the profile and attach it again with new values',
  );
}

export class Planner {
  private chartCacheReady: Promise<string> | undefined;
  /** Per cluster, its attachments as the last kept plan resolved them (see KeptProfile). */
  private readonly kept = new Map<string, ReadonlyMap<string, KeptProfile>>();

  constructor(
    private readonly store: Store,
    private readonly chartCacheFolder: string | undefined,
  ) {}

  /**
   * The cluster's packs with one attachment changed (or removed), checked for composition and variables:
   * positioned issues are a HubError before anything is stored.
   */
  async plan(cluster: string, change?: PlanChange, loads?: PlanLoads): Promise<Plan> {
    // A removed attachment's packs leave the runner: its kept resolution must not outlive them.
    if (change?.remove) this.forget(cluster, change.profile);
    const request = {
      loads: loads ?? new Map<string, Promise<LoadedProfile>>(),
      keep: loads !== undefined,
      positions: false,
    };
    try {
      return await this.planWith(cluster, change, this.kept.get(cluster), request);
    } catch (error) {
      // Issues found with kept profiles, or with versions loaded from their stored parsed form, point at 1:1 of
      // their file: plan again from the stored sources, parsed with positions.
      const positioned = error instanceof HubError && error.code === HubErrorCode.CompositionInvalid;
      if (!positioned) throw error;
      return this.planWith(cluster, change, undefined, { ...request, positions: true });
    }
  }

  /**
   * Keeps the plan's resolved profiles for the cluster's next plan, once the plan is what the cluster runs (its
   * packs handed to the runner): a plan that was only a preview is not kept, so it holds nothing afterwards.
   */
  keep(cluster: string, plan: Plan): void {
    this.kept.set(cluster, plan.profiles);
  }

  /** Drops what is kept for the cluster, or for one of its profiles. */
  forget(cluster: string, profile?: string): void {
    const kept = this.kept.get(cluster);
    if (kept === undefined) return;
    if (profile === undefined) {
      this.kept.delete(cluster);
      return;
    }
    const rest = new Map(kept);
    rest.delete(profile);
    this.kept.set(cluster, rest);
  }

  private async planWith(
    cluster: string,
    change: PlanChange | undefined,
    kept: ReadonlyMap<string, KeptProfile> | undefined,
    request: LoadRequest,
  ): Promise<Plan> {
    const attachments = await this.store.attachments.list(cluster);
    const entries = new Map<string, { version: string; values: Readonly<Record<string, string>> }>();
    for (const a of attachments) {
      entries.set(a.profile, {
        version: a.version,
        values: await this.store.attachments.revealValues(cluster, a.profile),
      });
    }
    if (change?.remove) entries.delete(change.profile);
    else if (change?.version)
      entries.set(change.profile, { version: change.version, values: change.values ?? {} });

    const profiles: LoadedProfile[] = [];
    const values: Record<string, Readonly<Record<string, string>>> = {};
    const resolved = new Map<string, ResolvedProfile>();
    const planned = new Map<string, KeptProfile>();
    let sensitive = new Set<string>();
    for (const [name, entry] of entries) {
      const stored = (await this.store.profiles.versions(name)).find((v) => v.version === entry.version);
      if (!stored) throw notFound('profile', `${name}@${entry.version}`);
      const key = keyOf(entry.version, stored.contentHash, entry.values);
      const hit = kept?.get(name);
      const profile =
        hit?.key === key
          ? { loaded: hit.loaded, resolved: hit.resolved, kept: hit }
          : await this.resolveStored(cluster, name, entry, key, request);
      profiles.push(profile.loaded);
      values[name] = entry.values;
      if (profile.resolved !== undefined) resolved.set(name, profile.resolved);
      if (profile.kept !== undefined) planned.set(name, profile.kept);
      if (name === change?.profile) {
        sensitive = new Set(
          profile.loaded.profile.spec.variables.filter((v) => v.sensitive).map((v) => v.name),
        );
        refuseUnsealing(cluster, name, entry.version, change.sealed ?? [], sensitive);
      }
    }
    const result = desiredPacks(profiles, { cluster, values, resolved });
    if (!result.ok) {
      throw new HubError(
        HubErrorCode.CompositionInvalid,
        `the profiles of cluster "${cluster}" do not fit together: ${issuesSummary(result.issues)}`,
        {
          issues: result.issues,
        },
      );
    }
    return { desired: result.value, sensitive, profiles: planned };
  }

  /**
   * A stored version loaded and resolved with the attachment's values. When it does not resolve, only the
   * loaded profile: desiredPacks resolves it again and reports its issues after those of composition.
   */
  private async resolveStored(
    cluster: string,
    name: string,
    entry: { readonly version: string; readonly values: Readonly<Record<string, string>> },
    key: string,
    request: LoadRequest,
  ): Promise<{ loaded: LoadedProfile; resolved?: ResolvedProfile; kept?: KeptProfile }> {
    const loaded = await this.load(name, entry.version, request);
    const result = resolveProfile(loaded, {
      clusterName: cluster,
      values: entry.values,
      fileManifests: loaded.fileManifests,
    });
    if (!result.ok) return { loaded };
    return { loaded, resolved: result.value, kept: keptProfile(key, loaded, result.value) };
  }

  async latestPublished(profile: string): Promise<string> {
    // The versions alone: the stored version itself (its source and parsed document) is not needed here.
    const latest = (await this.store.profiles.versions(profile)).filter((v) => v.published).at(-1);
    if (!latest) throw notFound('profile', profile);
    return latest.version;
  }

  /**
   * A stored version, loaded once per request (`request.loads`) and once for requests that arrive together: each
   * load parses the whole profile on the event loop (about 2 s for 900 KB, review 5a), and concurrent previews
   * of one cluster load the same versions. A settled load is forgotten here; only the requests holding it keep
   * it, and `parsed` for a preview.
   */
  private load(name: string, version: string, request: LoadRequest): Promise<LoadedProfile> {
    const key = `${name}@${version}${request.positions ? ' with positions' : ''}`;
    let loaded = request.loads.get(key) ?? this.loading.get(key);
    if (loaded === undefined) {
      loaded = this.loadStored(name, version, request);
      this.loading.set(key, loaded);
      const forget = () => this.loading.delete(key);
      loaded.then(forget, forget);
    }
    request.loads.set(key, loaded);
    return loaded;
  }

  private readonly loading = new Map<string, Promise<LoadedProfile>>();

  /**
   * Versions previews parsed, by content (a draft may be saved again under its version), least recently used
   * out, dropped after a minute idle: a viewer's preview repeated, or of another cluster, parses nothing again.
   */
  private readonly parsed = new ByteLru<{ readonly loaded: LoadedProfile; readonly bytes: number }>({
    maxBytes: PREVIEW_KEPT_SOURCE_BYTES,
    sizeOf: (kept) => kept.bytes,
    idleMs: PREVIEW_KEPT_IDLE_MS,
  });

  /**
   * A stored version as its parsed form (the `parsed` column) with its files loaded, without parsing its YAML
   * again (issue 15: a 5,000-object profile's syntax tree and document took ~45 MB of the hub's heap at the
   * start of every install it began). Its issues then point at 1:1, so it is parsed from its source when
   * positions are asked for (a plan that failed, see plan), when its parsed form is from another parser
   * version, or when its files do not load (to report them as before).
   */
  private async loadStored(name: string, version: string, request: LoadRequest): Promise<LoadedProfile> {
    const record = await this.store.profiles.get(name, version);
    if (!record) throw notFound('profile', `${name}@${version}`);
    const fromSource = request.positions || record.parserVersion !== PROFILE_PARSER_VERSION;
    const content = createHash('sha256')
      .update(JSON.stringify([name, version, record.source, Object.entries(record.blobs).sort(), fromSource]))
      .digest('hex');
    const kept = this.parsed.get(content);
    if (kept !== undefined) return kept.loaded;
    const profile = fromSource
      ? await this.parseStored(name, version, record)
      : await this.loadStoredParsed(name, version, record);
    if (request.keep) this.parsed.set(content, { loaded: profile, bytes: Buffer.byteLength(record.source) });
    return profile;
  }

  private async loadStoredParsed(
    name: string,
    version: string,
    record: StoredProfile,
  ): Promise<LoadedProfile> {
    const shown = `${name}@${version}`;
    const loaded = await loadParsedProfiles([{ profile: record.profile, source: detachedSource(shown) }], {
      files: this.storedFiles(record),
      displayName: shown,
    });
    const found = loaded.ok ? loaded.value[0] : undefined;
    if (found === undefined) return this.parseStored(name, version, record);
    return this.withPinnedCharts(name, version, found);
  }

  private async parseStored(name: string, version: string, record: StoredProfile): Promise<LoadedProfile> {
    const loaded = await loadProfileText(record.source, {
      files: this.storedFiles(record),
      displayName: `${name}@${version}`,
      storedVersion: true,
    });
    const found = loaded.ok ? loaded.value.find((p) => p.profile.metadata.name === name) : undefined;
    const profile = found && (await this.withPinnedCharts(name, version, found));
    if (!loaded.ok || !profile) {
      throw new HubError(
        HubErrorCode.ProfileInvalid,
        `stored profile ${name}@${version} no longer loads: ${loaded.ok ? 'the profile is not in its source' : issuesSummary(loaded.issues)}`,
        {
          issues: loaded.ok ? [] : loaded.issues,
        },
      );
    }
    return profile;
  }

  private storedFiles(record: StoredProfile): FileSource {
    return storedFiles({ store: this.store, blobs: record.blobs, chartCacheDir: this.chartCacheDir });
  }

  /** Remote charts render from the archive pinned at publish, never from the remote (chart-pinning.ts). */
  private async withPinnedCharts(
    name: string,
    version: string,
    loaded: LoadedProfile,
  ): Promise<LoadedProfile> {
    return withPinnedCharts(loaded, {
      store: this.store,
      pins: await this.store.pinnedCharts.of(name, version),
      chartCacheDir: this.chartCacheDir,
    });
  }

  /** The chart cache folder, created on first use. */
  private readonly chartCacheDir = (): Promise<string> =>
    (this.chartCacheReady ??=
      this.chartCacheFolder === undefined
        ? mkdtemp(join(tmpdir(), 'strata-charts-'))
        : chartCache(this.chartCacheFolder)());
}
