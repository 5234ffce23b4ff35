// Profiles: uploads checked off the event loop (upload-checker.ts), stored as drafts or published versions
// with the local charts and files they reference, and read back as views or as a bundle.
import { createHash } from 'node:crypto';
import type { Emit } from './feed.js';
import { ByteLru } from './byte-lru.js';
import {
  IssueKind,
  maskSensitiveDefaults,
  sensitiveDefaultsOf,
  PROFILE_PARSER_VERSION,
  writeBundleAsync,
  type ClusterProfile,
  type ProfileIssue,
} from '../profile/index.js';
import type { Store, StoredProfile } from '../store/index.js';
import type { ClusterAccess } from './access.js';
import type { Actor } from './config.js';
import { busyError, HubError, HubErrorCode, mapStoreErrors, notFound } from './errors.js';
import { fetchRemoteCharts, pinnedChartsView, storePinnedCharts } from './chart-pinning.js';
import { outdatedCharts, VersionsCache, type OutdatedChart } from './outdated.js';
import { profilePackRows, versionView } from './present.js';
import type { UploadResult } from './upload-check.js';
import { UploadChecker, UploadCheckerBusy, UploadLane, UploadTooCostly } from './upload-checker.js';
import { HUB_OWNER, type WaitingOwner } from './fair-waiting.js';

/** Versions whose remotes are checked for newer charts at the same time, hub-wide. */
const MAX_OUTDATED_CHECKS = 2;

import { Slots } from '../shared/slots.js';
import type { ProfileSummaryView, ProfileVersionView, ProfileWithSource } from './views.js';

/**
 * A profile as a client sends it: the YAML alone (no local charts or files), or a bundle (a tar.gz with the
 * profile and every local chart and file it references, see src/profile/bundle.ts). Never a path.
 */
export type ProfileUpload = (
  | { readonly yaml: string; readonly bundle?: undefined }
  | { readonly bundle: Buffer; readonly yaml?: undefined }
) & {
  /** The name issues are reported against. */
  readonly file?: string;
};

/** How a validation is checked: `resolveChartHosts: false` for a viewer's; `owner`: whose waiting place it takes. */
export interface ValidateOptions {
  readonly resolveChartHosts: boolean;
  readonly owner?: WaitingOwner;
  /** Aborted when the request is closed: its check is dropped (UploadChecker.check). */
  readonly signal?: AbortSignal;
}

export class Profiles {
  private readonly uploads = new UploadChecker();
  /** Bundles built for download, by content; a bundle is at most about 20 MiB. */
  private readonly bundles = new ByteLru<Buffer>({ maxBytes: 48 * 1024 * 1024, sizeOf: (b) => b.length });
  /** Masked sources of versions holding a sensitive default, by the source's hash: masked once, not per read. */
  private readonly masked = new ByteLru<string>({ maxBytes: 16 * 1024 * 1024, sizeOf: (t) => 2 * t.length });

  constructor(
    private readonly store: Store,
    private readonly access: ClusterAccess,
    private readonly helmBin: string,
    private readonly emit: Emit,
  ) {}

  close(): Promise<void> {
    this.bundles.clear();
    return this.uploads.close();
  }

  /**
   * Every positioned issue of an upload; [] when it is valid. A malformed bundle is a HubError. Checked in the
   * validation lane (it never holds every thread: imports go first); `resolveChartHosts: false` (a viewer's
   * validation) checks chart hosts written as addresses but looks no name up.
   */
  async validate(
    input: ProfileUpload,
    options: ValidateOptions = { resolveChartHosts: true },
  ): Promise<ProfileIssue[]> {
    const result = await this.checkUpload(input, {
      lane: UploadLane.Validate,
      resolveHosts: options.resolveChartHosts,
      owner: options.owner ?? HUB_OWNER,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return result.kind === 'issues' ? [...result.issues] : [];
  }

  async import(
    input: ProfileUpload & { readonly draft?: boolean },
    actor: Actor,
  ): Promise<ProfileVersionView[]> {
    // An import needs the operator role: its waiting place is shared with its token's other uploads only.
    const checked = await this.checkUpload(input, {
      lane: UploadLane.Import,
      resolveHosts: true,
      owner: { key: actor.tokenId ?? actor.name, privileged: true },
    });
    if (checked.kind !== 'ok') {
      throw new HubError(
        HubErrorCode.ProfileInvalid,
        `${input.file ?? 'profile'}: ${checked.issues.length} problem(s)`,
        { issues: checked.issues },
      );
    }
    const { source } = checked;
    const entries = new Map(checked.entries.map((e) => [e.path, e]));
    const remoteCharts = await this.fetchRemoteCharts(checked.profiles.map((p) => p.profile));
    const stored = await mapStoreErrors(() =>
      this.store.transaction(async (tx) => {
        const out: ProfileVersionView[] = [];
        for (const [index, profile] of checked.profiles.entries()) {
          const files = new Map<string, Buffer>();
          for (const ref of profile.references) {
            const entry = entries.get(ref.path);
            if (entry) files.set(ref.path, Buffer.from(entry.content));
          }
          const item = { source, profile: profile.profile, files, parserVersion: PROFILE_PARSER_VERSION };
          const record = input.draft ? await tx.profiles.saveDraft(item) : await tx.profiles.publish(item);
          await storePinnedCharts(tx, record, remoteCharts[index] ?? new Map());
          await tx.audit.record({
            actor,
            action: input.draft ? 'profile.draft' : 'profile.publish',
            target: `profile/${record.name}@${record.version}`,
          });
          out.push(versionView(record, profile.profile.spec.packs.length, profile.profile.spec.description));
        }
        return out;
      }),
    );
    const time = new Date().toISOString();
    if (!input.draft) for (const data of stored) this.emit({ kind: 'profile.published', time, data });
    return stored;
  }

  async list(): Promise<ProfileSummaryView[]> {
    return (await this.store.profiles.list()).map((p) => ({
      name: p.name,
      type: p.type,
      latest: p.latest,
      versions: p.versions.length,
    }));
  }

  async versions(name: string): Promise<ProfileVersionView[]> {
    const versions = await this.store.profiles.versions(name);
    if (versions.length === 0) throw notFound('profile', name);
    const out: ProfileVersionView[] = [];
    for (const v of versions) {
      const full = await this.store.profiles.get(name, v.version);
      out.push(versionView(v, full?.profile.spec.packs.length ?? 0, full?.profile.spec.description));
    }
    return out;
  }

  async get(name: string, version?: string): Promise<ProfileWithSource> {
    const record = version
      ? await this.store.profiles.get(name, version)
      : await this.store.profiles.latest(name);
    if (!record) throw notFound('profile', version ? `${name}@${version}` : name);
    const attached = await this.store.attachments.listUsing(name);
    const pinned = await pinnedChartsView(this.store, record.name, record.version);
    return {
      ...versionView(record, record.profile.spec.packs.length, record.profile.spec.description),
      // A sensitive variable's default in a version stored before they were refused: shown masked.
      yaml: this.shownSource(record),
      ...(Object.keys(record.blobs).length === 0 ? {} : { files: record.blobs }),
      packTable: profilePackRows(record.profile.spec.packs, record.blobs, pinned.charts ?? {}),
      attachedTo: attached.map((a) => ({ cluster: a.cluster, version: a.version })),
      ...pinned,
    };
  }

  /**
   * For each remote chart of the version, the newer versions its source has now (outdated.ts). Any viewer may
   * ask, and each check runs helm against remotes, so callers asking while a version's check runs share it,
   * and at most {@link MAX_OUTDATED_CHECKS} versions are checked at once (the others wait their turn).
   */
  outdated(name: string, version: string): Promise<OutdatedChart[]> {
    const key = `${name}@${version}`;
    const running = this.outdatedChecks.get(key);
    if (running !== undefined) return running;
    const answer = this.outdatedSlots.run(() => this.checkOutdated(name, version));
    this.outdatedChecks.set(key, answer);
    const forget = () => this.outdatedChecks.delete(key);
    answer.then(forget, forget);
    return answer;
  }

  private readonly outdatedChecks = new Map<string, Promise<OutdatedChart[]>>();
  private readonly outdatedSlots = new Slots(MAX_OUTDATED_CHECKS);
  private readonly outdatedCache = new VersionsCache();

  private async checkOutdated(name: string, version: string): Promise<OutdatedChart[]> {
    const record = await this.store.profiles.get(name, version);
    if (!record) throw notFound('profile', `${name}@${version}`);
    const sources = await this.store.chartSources.withCredentials();
    return outdatedCharts(record.profile, {
      helmBin: this.helmBin,
      sources,
      deny: this.access.outboundDeny(),
      cache: this.outdatedCache,
    });
  }

  /**
   * A stored version as a bundle: its source and every local chart and file it was published with. Compressed
   * off the event loop, and kept a while by content (byte-lru.ts).
   */
  /**
   * A stored version's source as viewers get it: as written, or, for one stored before sensitive defaults were
   * refused, with them masked (sensitive-defaults.ts; parsed on the main thread, so kept).
   */
  private shownSource(record: StoredProfile): string {
    const known = sensitiveDefaultsOf(record.profile);
    if (known.length === 0) return record.source;
    const key = createHash('sha256').update(record.source).digest('hex');
    const kept = this.masked.get(key);
    if (kept !== undefined) return kept;
    const shown = maskSensitiveDefaults(record.source, known);
    this.masked.set(key, shown);
    return shown;
  }

  async bundle(name: string, version: string): Promise<Buffer> {
    const record = await this.store.profiles.get(name, version);
    if (!record) throw notFound('profile', `${name}@${version}`);
    const key = createHash('sha256')
      .update(JSON.stringify([record.source, Object.entries(record.blobs).sort()]))
      .digest('hex');
    return this.bundles.build(key, async () => {
      const entries: { path: string; content: Buffer }[] = [];
      for (const [path, digest] of Object.entries(record.blobs)) {
        const content = await this.store.blobs.get(digest);
        if (!content) throw notFound('profile file', `${name}@${version}: ${path} (sha256 ${digest})`);
        entries.push({ path, content });
      }
      return writeBundleAsync(this.shownSource(record), entries);
    });
  }

  /** Each profile's remote charts, fetched with the matching source's credentials (chart-pinning.ts). */
  private async fetchRemoteCharts(profiles: readonly ClusterProfile[]): Promise<Map<string, Buffer>[]> {
    const sources = await this.store.chartSources.withCredentials();
    const options = { helmBin: this.helmBin, sources, deny: this.access.outboundDeny() };
    const out: Map<string, Buffer>[] = [];
    for (const profile of profiles) out.push(await fetchRemoteCharts(profile, options));
    return out;
  }

  /**
   * Unpacks, parses and validates an upload in a worker thread (upload-checker.ts), so no client's YAML or
   * bundle is ever parsed on the hub's event loop. Positioned issues come back as issues; a malformed bundle
   * and an upload too costly to check are HubErrors. A plain YAML profile may reference no local file; a
   * bundle's references are read from its entries, and an entry no profile references refuses the whole bundle.
   */
  private async checkUpload(
    input: ProfileUpload,
    options: {
      readonly lane: UploadLane;
      readonly resolveHosts: boolean;
      readonly owner: WaitingOwner;
      readonly signal?: AbortSignal;
    } = {
      lane: UploadLane.Import,
      resolveHosts: true,
      owner: HUB_OWNER,
    },
  ): Promise<Exclude<UploadResult, { kind: 'bundle' }>> {
    const shown = input.file ?? 'profile.yaml';
    let result: UploadResult;
    try {
      result = await this.uploads.check(
        {
          shown,
          deny: [...this.access.outboundDeny()],
          resolveHosts: options.resolveHosts,
          ...(input.bundle === undefined ? { yaml: input.yaml } : { bundle: input.bundle }),
        },
        options.lane,
        options.owner,
        options.signal,
      );
    } catch (error) {
      if (error instanceof UploadCheckerBusy) throw busyError(error);
      if (!(error instanceof UploadTooCostly)) throw error;
      return {
        kind: 'issues',
        issues: [
          {
            file: shown,
            line: 1,
            column: 1,
            path: '',
            kind: IssueKind.TooLarge,
            message: `the profile is too costly to check: ${error.message}; split it or make it smaller`,
          },
        ],
      };
    }
    if (result.kind === 'bundle')
      throw new HubError(
        result.tooLarge ? HubErrorCode.BundleTooLarge : HubErrorCode.BundleInvalid,
        result.message,
      );
    return result;
  }
}
