import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { ClusterRunner, desiredPacks, type DesiredPack, type RunnerEvent } from '../engine/index.js';
import {
  DEFAULT_OUTBOUND_DENY,
  KubeClient,
  KubeError,
  KubeErrorCode,
  type AddressRange,
} from '../kube/index.js';
import {
  IssueKind,
  loadProfileText,
  noRedaction,
  writeBundle,
  type LoadedProfile,
  type ProfileIssue,
} from '../profile/index.js';
import type { PackStatus, PackTransition } from '../status/index.js';
import {
  isStoreError,
  StoreErrorCode,
  toPackStatus,
  type AttachmentRecord,
  type ClusterRecord,
  type Store,
  type StoredEvent,
} from '../store/index.js';
import { HubError, HubErrorCode } from './errors.js';
import type { UploadResult } from './upload-check.js';
import { UploadChecker, UploadTooCostly } from './upload-checker.js';
import { describePackChanges } from './pack-diff.js';
import { StatusWriter } from './status-writer.js';
import { chartCache, storedFiles } from './stored-files.js';
import {
  countPhases,
  needingAttention,
  profilePackRows,
  type ProfilePackRow,
  packValuesView,
  packView,
  type ClusterView,
  type DriftView,
  type PackValuesView,
  type PackView,
} from './views.js';

export interface Actor {
  readonly tokenId?: string;
  readonly name: string;
}

export interface HubConfig {
  readonly store: Store;
  readonly helmBin: string;
  /**
   * The hub's own folder for chart archives it renders from (`<data dir>/charts`), each named by its digest;
   * default a new temporary folder. Local charts reach the hub only as uploaded content.
   */
  readonly chartCacheDir?: string;
  /** How long registering a cluster waits for its API server. Default 10 s. */
  readonly accessTimeoutMs?: number;
  /**
   * Exec credential plugins a cluster's kubeconfig may run on the hub, by command name (STRATA_ALLOWED_EXEC_PLUGINS).
   * Default none: a kubeconfig with exec, auth-provider or a file reference is refused.
   */
  readonly allowedExecPlugins?: readonly string[];
  /** Address ranges a cluster's server or proxy-url may not be in (STRATA_OUTBOUND_DENY). Default link-local. */
  readonly outboundDeny?: readonly AddressRange[];
  readonly log?: (message: string) => void;
}

/** A change of the live stream: a persisted store event (with its id), or an ephemeral one (no id). */
export type HubEvent =
  | {
      readonly id: number;
      readonly kind: string;
      readonly cluster?: string;
      readonly pack?: string;
      readonly time: string;
      readonly data: unknown;
    }
  | {
      readonly id?: undefined;
      readonly kind: 'cluster.connection';
      readonly cluster: string;
      readonly time: string;
      readonly data: { readonly reachable: boolean; readonly error?: string };
    }
  | {
      readonly id?: undefined;
      readonly kind: 'pack.drift';
      readonly cluster: string;
      readonly pack: string;
      readonly time: string;
      readonly data: DriftView;
    };

export interface AttachInput {
  readonly cluster: string;
  readonly profile: string;
  readonly version?: string;
  readonly values?: Readonly<Record<string, string>>;
}

export interface AttachmentView {
  readonly cluster: string;
  readonly profile: string;
  readonly version: string;
  /** Values of variables that are not sensitive; sensitive ones are listed by name only. */
  readonly values: Readonly<Record<string, string>>;
  readonly sensitive: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** A newer published version of the profile, when there is one ("Updates available"). */
  readonly updateAvailable?: string;
}

export interface PackDiff {
  readonly pack: string;
  readonly profile: string;
  readonly change: 'added' | 'removed' | 'changed' | 'unchanged';
  /** The pack's version now and after, when they differ or for added/removed packs. */
  readonly fromVersion?: string;
  readonly toVersion?: string;
  /** For changed packs: each changed field, old → new, sensitive values masked. */
  readonly changes?: readonly string[];
}

export interface ProfileVersionView {
  readonly name: string;
  readonly version: string;
  readonly type: string;
  readonly published: boolean;
  readonly createdAt: string;
  readonly packs: number;
  readonly description?: string;
}

export interface ProfileSummaryView {
  readonly name: string;
  readonly type: string;
  readonly latest: string;
  readonly versions: number;
}

export interface ClusterPage {
  readonly cluster: ClusterView;
  readonly attachments: readonly AttachmentView[];
  readonly packs: readonly PackView[];
}

interface ClusterRuntime {
  readonly record: ClusterRecord;
  readonly kube: KubeClient;
  readonly runner: ClusterRunner;
  reachable: boolean;
  error?: string;
  /** Every pack the runner may still report on, including ones being removed, for the page. */
  readonly known: Map<string, DesiredPack>;
  /** The last drift seen per pack since the hub started (the audit log keeps them all). */
  readonly drift: Map<string, DriftView>;
}

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
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The hub's services: clusters, profiles, attachments and pack status, over the store, with one cluster
 * runner per registered cluster. Everything the HTTP API does goes through here; nothing here speaks HTTP.
 */
export class Hub {
  private readonly runtimes = new Map<string, ClusterRuntime>();
  private readonly listeners = new Set<(event: HubEvent) => void>();
  private readonly writer: StatusWriter;
  private readonly uploads = new UploadChecker();
  private readonly unsubscribe: () => void;
  private readonly log: (message: string) => void;

  private constructor(private readonly config: HubConfig) {
    this.log = config.log ?? ((message) => process.stderr.write(`${message}\n`));
    this.writer = new StatusWriter(config.store, (error) => {
      this.log(
        `strata: could not store a pack status: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    this.unsubscribe = config.store.onEvents((events) => {
      for (const event of events) this.emit(this.redacted(toHubEvent(event)));
    });
  }

  /** Opens the hub and starts a runner for every registered cluster (an unreachable one does not block). */
  static async open(config: HubConfig): Promise<Hub> {
    const hub = new Hub(config);
    for (const record of await config.store.clusters.list()) {
      try {
        await hub.startCluster(record);
      } catch (error) {
        hub.log(
          `strata: cluster ${record.name} could not start: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return hub;
  }

  async close(): Promise<void> {
    for (const runtime of this.runtimes.values()) {
      runtime.runner.stop();
      await runtime.kube.close();
    }
    this.runtimes.clear();
    await this.writer.drain();
    this.unsubscribe();
    await this.uploads.close();
  }

  // -----------------------------------------------------------------------------------------------------------
  // Clusters

  async registerCluster(
    input: { name: string; kubeconfig: string; context?: string; driftPolicy?: 'correct' | 'report' },
    actor: Actor,
  ): Promise<ClusterView> {
    if (!DNS_LABEL.test(input.name)) {
      throw new HubError(
        HubErrorCode.InvalidInput,
        `cluster name "${input.name}" must be a DNS label: lowercase letters, digits and '-', at most 63`,
      );
    }
    if (await this.config.store.clusters.get(input.name)) {
      throw new HubError(HubErrorCode.ClusterExists, `cluster "${input.name}" is already registered`);
    }
    let kube: KubeClient;
    try {
      kube = KubeClient.fromString(input.kubeconfig, {
        source: `for cluster "${input.name}"`,
        allowedExecPlugins: this.config.allowedExecPlugins ?? [],
        ...(input.context ? { context: input.context } : {}),
      });
    } catch (error) {
      throw new HubError(HubErrorCode.KubeconfigInvalid, message(error), { cause: error });
    }
    try {
      await this.checkAccess(kube, input.name);
    } finally {
      await kube.close();
    }
    const record = await mapStoreErrors(() =>
      this.config.store.transaction(async (tx) => {
        const created = await tx.clusters.create({
          name: input.name,
          kubeconfig: input.kubeconfig,
          ...(input.context ? { context: input.context } : {}),
          ...(input.driftPolicy ? { driftPolicy: input.driftPolicy } : {}),
        });
        await tx.audit.record({ actor, action: 'cluster.register', target: `cluster/${input.name}` });
        return created;
      }),
    );
    await this.startCluster(record);
    return this.getCluster(input.name);
  }

  async listClusters(): Promise<ClusterView[]> {
    const records = await this.config.store.clusters.list();
    return Promise.all(records.map((r) => this.clusterView(r)));
  }

  async getCluster(name: string): Promise<ClusterView> {
    const record = await this.config.store.clusters.get(name);
    if (!record) throw notFound('cluster', name);
    return this.clusterView(record);
  }

  /** Stops managing the cluster and forgets it. What was installed stays in the cluster. */
  async removeCluster(name: string, actor: Actor): Promise<void> {
    const runtime = this.runtimes.get(name);
    if (!runtime && !(await this.config.store.clusters.get(name))) throw notFound('cluster', name);
    if (runtime) {
      runtime.runner.stop();
      await runtime.kube.close();
      this.runtimes.delete(name);
    }
    await this.writer.drain();
    await mapStoreErrors(() =>
      this.config.store.transaction(async (tx) => {
        await tx.clusters.delete(name);
        await tx.audit.record({ actor, action: 'cluster.remove', target: `cluster/${name}` });
      }),
    );
  }

  // -----------------------------------------------------------------------------------------------------------
  // Profiles

  /** Every positioned issue of a profile text; [] when it is valid. */
  /** Every positioned issue of an upload; [] when it is valid. A malformed bundle is a HubError. */
  async validateProfile(input: ProfileUpload): Promise<ProfileIssue[]> {
    const result = await this.checkUpload(input);
    return result.kind === 'issues' ? [...result.issues] : [];
  }

  async importProfile(
    input: ProfileUpload & { readonly draft?: boolean },
    actor: Actor,
  ): Promise<ProfileVersionView[]> {
    const checked = await this.checkUpload(input);
    if (checked.kind !== 'ok') {
      throw new HubError(
        HubErrorCode.ProfileInvalid,
        `${input.file ?? 'profile'}: ${checked.issues.length} problem(s)`,
        { issues: checked.issues },
      );
    }
    const { source } = checked;
    const entries = new Map(checked.entries.map((e) => [e.path, e]));
    const stored = await mapStoreErrors(() =>
      this.config.store.transaction(async (tx) => {
        const out: ProfileVersionView[] = [];
        for (const profile of checked.profiles) {
          const files = new Map<string, Buffer>();
          for (const ref of profile.references) {
            const entry = entries.get(ref.path);
            if (entry) files.set(ref.path, Buffer.from(entry.content));
          }
          const item = { source, profile: profile.profile, files };
          const record = input.draft ? await tx.profiles.saveDraft(item) : await tx.profiles.publish(item);
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
    return stored;
  }

  async listProfiles(): Promise<ProfileSummaryView[]> {
    return (await this.config.store.profiles.list()).map((p) => ({
      name: p.name,
      type: p.type,
      latest: p.latest,
      versions: p.versions.length,
    }));
  }

  async profileVersions(name: string): Promise<ProfileVersionView[]> {
    const versions = await this.config.store.profiles.versions(name);
    if (versions.length === 0) throw notFound('profile', name);
    const out: ProfileVersionView[] = [];
    for (const v of versions) {
      const full = await this.config.store.profiles.get(name, v.version);
      out.push(versionView(v, full?.profile.spec.packs.length ?? 0, full?.profile.spec.description));
    }
    return out;
  }

  async getProfile(
    name: string,
    version?: string,
  ): Promise<
    ProfileVersionView & {
      yaml: string;
      files?: Readonly<Record<string, string>>;
      packTable: ProfilePackRow[];
      attachedTo: { cluster: string; version: string }[];
    }
  > {
    const record = version
      ? await this.config.store.profiles.get(name, version)
      : await this.config.store.profiles.latest(name);
    if (!record) throw notFound('profile', version ? `${name}@${version}` : name);
    const attached = await this.config.store.attachments.listUsing(name);
    return {
      ...versionView(record, record.profile.spec.packs.length, record.profile.spec.description),
      yaml: record.source,
      ...(Object.keys(record.blobs).length === 0 ? {} : { files: record.blobs }),
      packTable: profilePackRows(record.profile.spec.packs, record.blobs),
      attachedTo: attached.map((a) => ({ cluster: a.cluster, version: a.version })),
    };
  }

  /** A stored version as a bundle: its source and every local chart and file it was published with. */
  async profileBundle(name: string, version: string): Promise<Buffer> {
    const record = await this.config.store.profiles.get(name, version);
    if (!record) throw notFound('profile', `${name}@${version}`);
    const entries: { path: string; content: Buffer }[] = [];
    for (const [path, digest] of Object.entries(record.blobs)) {
      const content = await this.config.store.blobs.get(digest);
      if (!content) throw notFound('profile file', `${name}@${version}: ${path} (sha256 ${digest})`);
      entries.push({ path, content });
    }
    return writeBundle(record.source, entries);
  }

  // -----------------------------------------------------------------------------------------------------------
  // Attachments

  async attach(input: AttachInput, actor: Actor): Promise<AttachmentView> {
    const runtime = this.runtime(input.cluster);
    const version = input.version ?? (await this.latestPublished(input.profile));
    const existing = await this.config.store.attachments.get(input.cluster, input.profile);
    if (existing) {
      throw new HubError(
        HubErrorCode.AttachmentExists,
        `profile "${input.profile}" is already attached to cluster "${input.cluster}" (version ${existing.version}); change it instead`,
      );
    }
    return this.saveAttachment(runtime, { ...input, version, values: input.values ?? {} }, actor, 'create');
  }

  /** What changing an attachment would do to each pack ("Updates available"), without doing it. */
  async previewAttachment(input: AttachInput): Promise<PackDiff[]> {
    const runtime = this.runtime(input.cluster);
    const current = await this.config.store.attachments.get(input.cluster, input.profile);
    const version = input.version ?? current?.version ?? (await this.latestPublished(input.profile));
    const values = {
      ...(current ? await this.config.store.attachments.revealValues(input.cluster, input.profile) : {}),
      ...input.values,
    };
    const { desired } = await this.plan(input.cluster, { profile: input.profile, version, values });
    const before = new Map(
      [...runtime.known.values()].filter((d) => !isRemoved(runtime, d)).map((d) => [d.pack.name, d]),
    );
    const after = new Map(desired.map((d) => [d.pack.name, d]));
    const diff: PackDiff[] = [];
    for (const d of desired) {
      const old = before.get(d.pack.name);
      const base = { pack: d.pack.name, profile: d.profile.name };
      if (!old) {
        diff.push({ ...base, change: 'added', toVersion: d.pack.version });
        continue;
      }
      const changes = describePackChanges(old, d);
      if (changes.length === 0) {
        diff.push({ ...base, change: 'unchanged' });
        continue;
      }
      diff.push({
        ...base,
        change: 'changed',
        ...(old.pack.version === d.pack.version
          ? {}
          : { fromVersion: old.pack.version, toVersion: d.pack.version }),
        changes,
      });
    }
    for (const d of before.values())
      if (!after.has(d.pack.name))
        diff.push({
          pack: d.pack.name,
          profile: d.profile.name,
          change: 'removed',
          fromVersion: d.pack.version,
        });
    return diff;
  }

  async updateAttachment(input: AttachInput, actor: Actor): Promise<AttachmentView> {
    const runtime = this.runtime(input.cluster);
    const current = await this.config.store.attachments.get(input.cluster, input.profile);
    if (!current) throw notFound('attachment', `${input.cluster}/${input.profile}`);
    const version = input.version ?? current.version;
    const values = {
      ...(await this.config.store.attachments.revealValues(input.cluster, input.profile)),
      ...input.values,
    };
    return this.saveAttachment(runtime, { ...input, version, values }, actor, 'update');
  }

  /**
   * Plans the cluster with the attachment as given (a 422 with positioned issues if it does not fit), stores it
   * with its sensitive values sealed and an audit entry in one transaction, then hands the packs to the runner.
   */
  private async saveAttachment(
    runtime: ClusterRuntime,
    input: Required<Pick<AttachInput, 'cluster' | 'profile' | 'version' | 'values'>>,
    actor: Actor,
    action: 'create' | 'update',
  ): Promise<AttachmentView> {
    const { cluster, profile, version, values } = input;
    const { desired, sensitive } = await this.plan(cluster, { profile, version, values });
    const sealed = Object.keys(values).filter((k) => sensitive.has(k));
    const record = await mapStoreErrors(() =>
      this.config.store.transaction(async (tx) => {
        const saved =
          action === 'create'
            ? await tx.attachments.attach({ cluster, profile, version, values, sensitive: sealed })
            : await tx.attachments.update(cluster, profile, { version, values, sensitive: sealed });
        await tx.audit.record({
          actor,
          action: `attachment.${action}`,
          target: `cluster/${cluster}/profile/${profile}`,
          details: { version },
        });
        return saved;
      }),
    );
    this.setDesired(runtime, desired);
    return this.attachmentView(record);
  }

  /** Detaches a profile: its packs are uninstalled in reverse install order. */
  async detach(cluster: string, profile: string, actor: Actor): Promise<void> {
    const runtime = this.runtime(cluster);
    if (!(await this.config.store.attachments.get(cluster, profile)))
      throw notFound('attachment', `${cluster}/${profile}`);
    const { desired } = await this.plan(cluster, { profile, remove: true });
    await mapStoreErrors(() =>
      this.config.store.transaction(async (tx) => {
        await tx.attachments.detach(cluster, profile);
        await tx.audit.record({
          actor,
          action: 'attachment.delete',
          target: `cluster/${cluster}/profile/${profile}`,
        });
      }),
    );
    this.setDesired(runtime, desired);
  }

  async listAttachments(cluster: string): Promise<AttachmentView[]> {
    this.runtime(cluster);
    const records = await this.config.store.attachments.list(cluster);
    return Promise.all(records.map((r) => this.attachmentView(r)));
  }

  // -----------------------------------------------------------------------------------------------------------
  // Status and actions

  async clusterPage(cluster: string): Promise<ClusterPage> {
    const runtime = this.runtime(cluster);
    const packs = runtime.runner.statuses().flatMap((s) => {
      const desired = runtime.known.get(s.pack);
      return desired ? [packView(desired, s.status, s.stale, runtime.drift.get(s.pack))] : [];
    });
    return {
      cluster: await this.clusterView(runtime.record),
      attachments: await this.listAttachments(cluster),
      packs,
    };
  }

  async packHistory(cluster: string, pack: string): Promise<PackTransition[]> {
    const runtime = this.runtime(cluster);
    if (!runtime.known.has(pack)) throw notFound('pack', `${cluster}/${pack}`);
    const desired = runtime.known.get(pack);
    const transitions = await this.config.store.history.transitions(cluster, pack);
    return transitions.map((t) => (desired ? { ...t, message: desired.redactor.redact(t.message) } : t));
  }

  /** Every pack's transitions, packs in install order, oldest first: the install timeline. */
  async clusterTransitions(cluster: string): Promise<{ pack: string; transitions: PackTransition[] }[]> {
    const runtime = this.runtime(cluster);
    const byPack = new Map<string, PackTransition[]>();
    const packs = [...runtime.known.values()].sort((a, b) => a.order - b.order);
    for (const d of packs) byPack.set(d.pack.name, []);
    for (const { id: _id, pack, ...t } of await this.config.store.history.clusterTransitions(cluster)) {
      const redactor = runtime.known.get(pack)?.redactor;
      if (redactor) byPack.get(pack)?.push({ ...t, message: redactor.redact(t.message) });
    }
    return [...byPack].map(([pack, transitions]) => ({ pack, transitions }));
  }

  /** What the pack deploys with, resolved for this cluster, sensitive values masked. */
  packValues(cluster: string, pack: string): PackValuesView {
    const desired = this.runtime(cluster).known.get(pack);
    if (!desired) throw notFound('pack', `${cluster}/${pack}`);
    return packValuesView(desired);
  }

  async retryPack(cluster: string, pack: string, actor: Actor): Promise<void> {
    const runtime = this.runtime(cluster);
    if (!runtime.runner.retryPack(pack)) throw notFound('pack', `${cluster}/${pack}`);
    await this.config.store.audit.record({
      actor,
      action: 'pack.retry',
      target: `cluster/${cluster}/pack/${pack}`,
    });
  }

  async resync(cluster: string, actor: Actor): Promise<void> {
    const runtime = this.runtime(cluster);
    runtime.runner.resync();
    await this.config.store.audit.record({ actor, action: 'cluster.resync', target: `cluster/${cluster}` });
  }

  // -----------------------------------------------------------------------------------------------------------
  // Live stream

  subscribe(listener: (event: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async eventsSince(
    afterId: number,
    options: { cluster?: string; limit?: number } = {},
  ): Promise<HubEvent[]> {
    return (await this.config.store.eventsSince(afterId, options)).map((e) => this.redacted(toHubEvent(e)));
  }

  /** Resolves once every status change so far is stored (tests, shutdown). */
  flush(): Promise<void> {
    return this.writer.drain();
  }

  // -----------------------------------------------------------------------------------------------------------
  // Internals

  /**
   * Status events carry the same messages as the page, so they pass through the same redactor: a sensitive
   * value that reached a resource message (an env var echoed in an error) never reaches a stream client.
   */
  private redacted(event: HubEvent): HubEvent {
    if (event.id === undefined || !event.cluster || !event.pack) return event;
    const redactor = this.runtimes.get(event.cluster)?.known.get(event.pack)?.redactor;
    if (!redactor) return event;
    return { ...event, data: redactor.redactDeep(event.data) };
  }

  private emit(event: HubEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log(`strata: an event listener failed: ${message(error)}`);
      }
    }
  }

  private async startCluster(record: ClusterRecord): Promise<void> {
    const credentials = await this.config.store.clusters.getCredentials(record.name);
    // Stored kubeconfigs are held to the same rules as new ones: one stored before they existed, or before an
    // admin withdrew a plugin or denied a range, does not start.
    const kube = KubeClient.fromString(credentials.kubeconfig, {
      source: `for cluster "${record.name}"`,
      allowedExecPlugins: this.config.allowedExecPlugins ?? [],
      ...(credentials.context ? { context: credentials.context } : {}),
    });
    try {
      await kube.checkOutbound(this.outboundDeny());
    } catch (error) {
      await kube.close();
      throw new HubError(HubErrorCode.KubeconfigInvalid, this.outboundMessage(record.name, error), {
        cause: error,
      });
    }
    const initial = new Map<string, PackStatus>();
    for (const stored of await this.config.store.packStatus.list(record.name)) {
      const status = toPackStatus(
        stored,
        await this.config.store.history.transitions(record.name, stored.pack),
      );
      initial.set(stored.pack, status);
      this.writer.known(record.name, stored.pack, status);
    }
    const runtime: ClusterRuntime = {
      record,
      kube,
      reachable: true,
      known: new Map(),
      drift: new Map(),
      runner: new ClusterRunner({
        cluster: record.name,
        kube,
        helmBin: this.config.helmBin,
        driftPolicy: record.driftPolicy,
        initial,
        onEvent: (event) => {
          this.onRunnerEvent(runtime, event);
        },
      }),
    };
    this.runtimes.set(record.name, runtime);
    // Not awaited: an unreachable cluster keeps retrying in the background and reports it as it goes.
    runtime.runner.start().catch((error: unknown) => {
      runtime.reachable = false;
      runtime.error = message(error);
      this.emit({
        kind: 'cluster.connection',
        cluster: record.name,
        time: new Date().toISOString(),
        data: { reachable: false, error: runtime.error },
      });
    });
    try {
      const { desired } = await this.plan(record.name);
      this.setDesired(runtime, desired);
    } catch (error) {
      runtime.error = message(error);
      this.log(`strata: cluster ${record.name}: ${runtime.error}`);
    }
  }

  private onRunnerEvent(runtime: ClusterRuntime, event: RunnerEvent): void {
    const cluster = runtime.record.name;
    switch (event.type) {
      case 'PackStatusChanged':
        this.writer.status(
          cluster,
          event.pack,
          event.status,
          runtime.known.get(event.pack)?.redactor ?? noRedaction,
        );
        return;
      case 'PackRemoved':
        runtime.known.delete(event.pack);
        runtime.drift.delete(event.pack);
        this.writer.removed(cluster, event.pack);
        return;
      case 'DriftDetected': {
        const redactor = runtime.known.get(event.pack)?.redactor;
        const drift: DriftView = {
          time: event.time,
          message: redactor ? redactor.redact(event.message) : event.message,
          correcting: event.correcting,
        };
        runtime.drift.set(event.pack, drift);
        this.emit({ kind: 'pack.drift', cluster, pack: event.pack, time: event.time, data: drift });
        void this.config.store.audit
          .record({
            actor: { name: 'strata' },
            action: 'pack.drift',
            target: `cluster/${cluster}/pack/${event.pack}`,
            details: { message: drift.message, correcting: drift.correcting },
          })
          .catch((error: unknown) => {
            this.log(`strata: could not record drift: ${message(error)}`);
          });
        return;
      }
      case 'ConnectionChanged':
        runtime.reachable = event.reachable;
        if (event.error) runtime.error = event.error;
        else delete runtime.error;
        this.emit({
          kind: 'cluster.connection',
          cluster,
          time: event.time,
          data: { reachable: event.reachable, ...(event.error ? { error: event.error } : {}) },
        });
        return;
    }
  }

  private setDesired(runtime: ClusterRuntime, desired: readonly DesiredPack[]): void {
    for (const d of desired) runtime.known.set(d.pack.name, d);
    runtime.runner.setDesired(desired);
  }

  /**
   * The cluster's packs with one attachment changed (or removed), checked for composition and variables:
   * positioned issues are a 422 before anything is stored.
   */
  private async plan(
    cluster: string,
    change?: {
      profile: string;
      version?: string;
      values?: Readonly<Record<string, string>>;
      remove?: boolean;
    },
  ): Promise<{ desired: DesiredPack[]; sensitive: Set<string> }> {
    const attachments = await this.config.store.attachments.list(cluster);
    const entries = new Map<string, { version: string; values: Readonly<Record<string, string>> }>();
    for (const a of attachments) {
      entries.set(a.profile, {
        version: a.version,
        values: await this.config.store.attachments.revealValues(cluster, a.profile),
      });
    }
    if (change?.remove) entries.delete(change.profile);
    else if (change?.version)
      entries.set(change.profile, { version: change.version, values: change.values ?? {} });

    const profiles: LoadedProfile[] = [];
    const values: Record<string, Readonly<Record<string, string>>> = {};
    let sensitive = new Set<string>();
    for (const [name, entry] of entries) {
      const loaded = await this.loadStored(name, entry.version);
      profiles.push(loaded);
      values[name] = entry.values;
      if (name === change?.profile) {
        sensitive = new Set(loaded.profile.spec.variables.filter((v) => v.sensitive).map((v) => v.name));
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

  private async loadStored(name: string, version: string): Promise<LoadedProfile> {
    const record = await this.config.store.profiles.get(name, version);
    if (!record) throw notFound('profile', `${name}@${version}`);
    const loaded = await loadProfileText(record.source, {
      files: storedFiles({
        store: this.config.store,
        blobs: record.blobs,
        chartCacheDir: this.chartCacheDir,
      }),
      displayName: `${name}@${version}`,
    });
    const profile = loaded.ok ? loaded.value.find((p) => p.profile.metadata.name === name) : undefined;
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

  /**
   * Loads an upload from its own content only: a plain YAML profile may reference no local file; a bundle's
   * references are read from its entries, and an entry no profile references refuses the whole bundle.
   */
  /**
   * Unpacks, parses and validates an upload in a worker thread (upload-checker.ts), so no client's YAML or
   * bundle is ever parsed on the hub's event loop. Positioned issues come back as issues; a malformed bundle
   * and an upload too costly to check are HubErrors.
   */
  private async checkUpload(input: ProfileUpload): Promise<Exclude<UploadResult, { kind: 'bundle' }>> {
    const shown = input.file ?? 'profile.yaml';
    let result: UploadResult;
    try {
      result = await this.uploads.check({
        shown,
        deny: [...this.outboundDeny()],
        ...(input.bundle === undefined ? { yaml: input.yaml } : { bundle: input.bundle }),
      });
    } catch (error) {
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

  private chartCacheReady: Promise<string> | undefined;
  /** The chart cache folder, created on first use. */
  private readonly chartCacheDir = (): Promise<string> =>
    (this.chartCacheReady ??=
      this.config.chartCacheDir === undefined
        ? mkdtemp(join(tmpdir(), 'strata-charts-'))
        : chartCache(this.config.chartCacheDir)());

  private async latestPublished(profile: string): Promise<string> {
    const latest = await this.config.store.profiles.latest(profile, { publishedOnly: true });
    if (!latest) throw notFound('profile', profile);
    return latest.version;
  }

  private runtime(cluster: string): ClusterRuntime {
    const runtime = this.runtimes.get(cluster);
    if (!runtime) throw notFound('cluster', cluster);
    return runtime;
  }

  /**
   * Can the hub use this cluster? First that its server and proxy are in no denied address range (before any
   * request), then that its API server answers and accepts the credentials.
   */
  private async checkAccess(kube: KubeClient, name: string): Promise<void> {
    try {
      await kube.checkOutbound(this.outboundDeny());
    } catch (error) {
      throw new HubError(HubErrorCode.KubeconfigInvalid, this.outboundMessage(name, error), { cause: error });
    }
    const timeoutMs = this.config.accessTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        kube.checkAccess(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(
              new KubeError(
                KubeErrorCode.Timeout,
                `no answer from ${kube.server} within ${timeoutMs / 1000}s`,
              ),
            );
          }, timeoutMs);
        }),
      ]);
    } catch (error) {
      const e = error instanceof KubeError ? error : undefined;
      const detail = `cluster "${name}": ${message(error)}`;
      if (e?.code === KubeErrorCode.Unauthorized)
        throw new HubError(HubErrorCode.ClusterUnauthorized, detail, { cause: error });
      if (e?.code === KubeErrorCode.Forbidden)
        throw new HubError(HubErrorCode.ClusterForbidden, detail, { cause: error });
      if (/TLS|certificate/i.test(message(error)))
        throw new HubError(HubErrorCode.ClusterTls, detail, { cause: error });
      throw new HubError(HubErrorCode.ClusterUnreachable, detail, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private outboundDeny(): ReadonlySet<AddressRange> {
    return new Set(this.config.outboundDeny ?? DEFAULT_OUTBOUND_DENY);
  }

  /** Names the cluster, the URL and the setting that decides it. */
  private outboundMessage(name: string, error: unknown): string {
    const denied = [...this.outboundDeny()].join(',') || 'none';
    const setting =
      error instanceof KubeError && error.code === KubeErrorCode.OutboundDenied
        ? ` (STRATA_OUTBOUND_DENY=${denied}; an admin can change it with STRATA_OUTBOUND_DENY or \`strata serve --outbound-deny\`)`
        : '';
    return `cluster "${name}": ${message(error)}${setting}`;
  }

  private async clusterView(record: ClusterRecord): Promise<ClusterView> {
    const runtime = this.runtimes.get(record.name);
    const list = runtime
      ? runtime.runner.statuses().map((s) => ({ pack: s.pack, ...s.status }))
      : await this.config.store.packStatus.list(record.name);
    const { phase, counts, packs } = countPhases(list.map((s) => s.phase));
    return {
      name: record.name,
      server: runtime?.kube.server ?? '',
      context: runtime?.kube.context ?? '',
      driftPolicy: record.driftPolicy,
      createdAt: record.createdAt,
      reachable: runtime?.reachable ?? false,
      ...(runtime?.error ? { error: runtime.error } : {}),
      phase,
      counts,
      packs,
      attention: needingAttention(list),
    };
  }

  private async attachmentView(record: AttachmentRecord): Promise<AttachmentView> {
    const latest = await this.config.store.profiles.latest(record.profile, { publishedOnly: true });
    const newer = latest && semver.gt(latest.version, record.version) ? latest.version : undefined;
    return {
      cluster: record.cluster,
      profile: record.profile,
      version: record.version,
      values: record.values,
      sensitive: record.sensitive,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      ...(newer ? { updateAvailable: newer } : {}),
    };
  }
}

function isRemoved(runtime: ClusterRuntime, desired: DesiredPack): boolean {
  return !runtime.runner.statuses().some((s) => s.pack === desired.pack.name);
}

function toHubEvent(event: StoredEvent): HubEvent {
  const { id, kind, time, cluster, ...data } = event;
  const pack = 'pack' in event ? event.pack : undefined;
  return { id, kind, time, ...(cluster ? { cluster } : {}), ...(pack ? { pack } : {}), data };
}

function versionView(
  record: { name: string; version: string; type: string; published: boolean; createdAt: string },
  packs: number,
  description?: string,
): ProfileVersionView {
  return {
    name: record.name,
    version: record.version,
    type: record.type,
    published: record.published,
    createdAt: record.createdAt,
    packs,
    ...(description ? { description } : {}),
  };
}

function notFound(what: string, name: string): HubError {
  return new HubError(HubErrorCode.NotFound, `${what} "${name}" not found`);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Store errors the API should answer with the hub's codes. */
async function mapStoreErrors<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!isStoreError(error)) throw error;
    const mapped: Partial<Record<string, (typeof HubErrorCode)[keyof typeof HubErrorCode]>> = {
      [StoreErrorCode.NotFound]: HubErrorCode.NotFound,
      [StoreErrorCode.ClusterExists]: HubErrorCode.ClusterExists,
      [StoreErrorCode.ProfileVersionConflict]: HubErrorCode.ProfileVersionConflict,
      [StoreErrorCode.AttachmentExists]: HubErrorCode.AttachmentExists,
      [StoreErrorCode.InvalidInput]: HubErrorCode.InvalidInput,
    };
    const code = mapped[error.code];
    if (!code) throw error;
    throw new HubError(code, error.message, { cause: error });
  }
}
