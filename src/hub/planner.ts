// Which packs a cluster runs: its attachments' stored profile versions, composed and resolved with their
// values (optionally with one attachment changed or removed). Reads the store, changes nothing.
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desiredPacks, type DesiredPack } from '../engine/index.js';
import { loadProfileText, type LoadedProfile } from '../profile/index.js';
import type { Store } from '../store/index.js';
import { ByteLru } from './byte-lru.js';
import { HubError, HubErrorCode, notFound } from './errors.js';
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
 * again) also has the versions it loads kept briefly, within a small budget (see `kept`); plans that install
 * keep nothing: keeping every attached version parsed beside the runners' resolved packs doubled the memory
 * held per object (eb9075a, reverted).
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

  constructor(
    private readonly store: Store,
    private readonly chartCacheFolder: string | undefined,
  ) {}

  /**
   * The cluster's packs with one attachment changed (or removed), checked for composition and variables:
   * positioned issues are a HubError before anything is stored.
   */
  async plan(cluster: string, change?: PlanChange, loads?: PlanLoads): Promise<Plan> {
    const keep = loads !== undefined;
    const loadsOfRequest = loads ?? new Map<string, Promise<LoadedProfile>>();
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
    let sensitive = new Set<string>();
    for (const [name, entry] of entries) {
      const loaded = await this.load(name, entry.version, loadsOfRequest, keep);
      profiles.push(loaded);
      values[name] = entry.values;
      if (name === change?.profile) {
        sensitive = new Set(loaded.profile.spec.variables.filter((v) => v.sensitive).map((v) => v.name));
        refuseUnsealing(cluster, name, entry.version, change.sealed ?? [], sensitive);
      }
    }
    const result = desiredPacks(profiles, { cluster, values });
    if (!result.ok) {
      throw new HubError(
        HubErrorCode.CompositionInvalid,
        `the profiles of cluster "${cluster}" do not fit together: ${result.issues.map((i) => i.message).join('; ')}`,
        {
          issues: result.issues,
        },
      );
    }
    return { desired: result.value, sensitive };
  }

  async latestPublished(profile: string): Promise<string> {
    const latest = await this.store.profiles.latest(profile, { publishedOnly: true });
    if (!latest) throw notFound('profile', profile);
    return latest.version;
  }

  /**
   * A stored version, loaded once per request (`loads`) and once for requests that arrive together: each load
   * parses the whole profile on the event loop (about 2 s for 900 KB), and concurrent previews of one cluster
   * load the same versions. A settled load is forgotten here; only the requests holding it keep it.
   */
  private load(name: string, version: string, loads: PlanLoads, keep: boolean): Promise<LoadedProfile> {
    const key = `${name}@${version}`;
    let loaded = loads.get(key) ?? this.loading.get(key);
    if (loaded === undefined) {
      loaded = this.loadStored(name, version, keep);
      this.loading.set(key, loaded);
      const forget = () => this.loading.delete(key);
      loaded.then(forget, forget);
    }
    loads.set(key, loaded);
    return loaded;
  }

  private readonly loading = new Map<string, Promise<LoadedProfile>>();

  /** Versions previews loaded, by content (a draft may be saved again under its version). */
  private readonly kept = new ByteLru<{ readonly loaded: LoadedProfile; readonly bytes: number }>({
    maxBytes: PREVIEW_KEPT_SOURCE_BYTES,
    sizeOf: (kept) => kept.bytes,
    idleMs: PREVIEW_KEPT_IDLE_MS,
  });

  private async loadStored(name: string, version: string, keep: boolean): Promise<LoadedProfile> {
    const record = await this.store.profiles.get(name, version);
    if (!record) throw notFound('profile', `${name}@${version}`);
    const content = createHash('sha256')
      .update(JSON.stringify([name, version, record.source, Object.entries(record.blobs).sort()]))
      .digest('hex');
    const kept = this.kept.get(content);
    if (kept !== undefined) return kept.loaded;
    const profile = await this.parseStored(name, version, record);
    if (keep) this.kept.set(content, { loaded: profile, bytes: Buffer.byteLength(record.source) });
    return profile;
  }

  private async parseStored(
    name: string,
    version: string,
    record: { readonly source: string; readonly blobs: Readonly<Record<string, string>> },
  ): Promise<LoadedProfile> {
    const loaded = await loadProfileText(record.source, {
      files: storedFiles({
        store: this.store,
        blobs: record.blobs,
        chartCacheDir: this.chartCacheDir,
      }),
      displayName: `${name}@${version}`,
    });
    const found = loaded.ok ? loaded.value.find((p) => p.profile.metadata.name === name) : undefined;
    // Remote charts render from the archive pinned at publish, never from the remote (chart-pinning.ts).
    const profile =
      found &&
      (await withPinnedCharts(found, {
        store: this.store,
        pins: await this.store.pinnedCharts.of(name, version),
        chartCacheDir: this.chartCacheDir,
      }));
    if (!loaded.ok || !profile) {
      throw new HubError(
        HubErrorCode.ProfileInvalid,
        `stored profile ${name}@${version} no longer loads: ${loaded.ok ? 'the profile is not in its source' : loaded.issues.map((i) => i.message).join('; ')}`,
        {
          issues: loaded.ok ? [] : loaded.issues,
        },
      );
    }
    return profile;
  }

  /** The chart cache folder, created on first use. */
  private readonly chartCacheDir = (): Promise<string> =>
    (this.chartCacheReady ??=
      this.chartCacheFolder === undefined
        ? mkdtemp(join(tmpdir(), 'strata-charts-'))
        : chartCache(this.chartCacheFolder)());
}
