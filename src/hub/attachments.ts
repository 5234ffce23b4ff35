// Attaching profile versions to clusters: each change is planned first (nothing is stored when the packs do
// not fit), stored with its sensitive values sealed and an audit entry, then handed to the cluster's runner.
import { randomBytes } from 'node:crypto';
import semver from 'semver';
import type { DesiredPack } from '../engine/index.js';
import type { AttachmentRecord, Store } from '../store/index.js';
import type { Actor } from './config.js';
import { HubError, HubErrorCode, mapStoreErrors, notFound } from './errors.js';
import { isRemoved, type ClusterRuntime, type Fleet } from './fleet.js';
import type { Emit } from './feed.js';
import { describePackChanges, SENSITIVE_CHANGED } from './pack-diff.js';
import type { Planner, PlanLoads } from './planner.js';
import type { AttachmentView, PackDiff } from './views.js';

export interface AttachInput {
  readonly cluster: string;
  readonly profile: string;
  readonly version?: string;
  readonly values?: Readonly<Record<string, string>>;
}

/** A preview's line for a pack that uses a sensitive value the caller gave. */
const SENSITIVE_GIVEN = 'a sensitive value was given (never compared with the stored one)';

export class Attachments {
  constructor(
    private readonly store: Store,
    private readonly planner: Planner,
    private readonly fleet: Fleet,
    private readonly emit: Emit,
  ) {}

  async attach(input: AttachInput, actor: Actor): Promise<AttachmentView> {
    const runtime = this.fleet.runtime(input.cluster);
    const version = input.version ?? (await this.planner.latestPublished(input.profile));
    const existing = await this.store.attachments.get(input.cluster, input.profile);
    if (existing) {
      throw new HubError(
        HubErrorCode.AttachmentExists,
        `profile "${input.profile}" is already attached to cluster "${input.cluster}" (version ${existing.version}); change it instead`,
      );
    }
    return this.save(runtime, { ...input, version, values: input.values ?? {} }, actor, 'create');
  }

  /** What changing an attachment would do to each pack ("Updates available"), without doing it. */
  async preview(input: AttachInput): Promise<PackDiff[]> {
    const runtime = this.fleet.runtime(input.cluster);
    // Every plan of this preview loads each stored version once.
    const loads: PlanLoads = new Map();
    const current = await this.store.attachments.get(input.cluster, input.profile);
    const version = input.version ?? current?.version ?? (await this.planner.latestPublished(input.profile));
    const values = {
      ...(current ? await this.store.attachments.revealValues(input.cluster, input.profile) : {}),
      ...input.values,
    };
    const { desired, sensitive } = await this.planner.plan(
      input.cluster,
      { profile: input.profile, version, values, sealed: current?.sensitive ?? [] },
      loads,
    );
    const usesGivenSecret = await this.packsUsingGivenSensitive(
      input,
      version,
      values,
      sensitive,
      desired,
      loads,
    );
    const before = new Map(
      [...runtime.known.values()].filter((d) => !isRemoved(runtime, d)).map((d) => [d.pack.name, d]),
    );
    const after = new Map(desired.map((d) => [d.pack.name, d]));
    const shown = await this.shownPlan(input, version, values, current?.sensitive ?? [], desired, loads);
    const diff: PackDiff[] = [];
    for (const d of desired) {
      const old = before.get(d.pack.name);
      const base = { pack: d.pack.name, profile: d.profile.name };
      if (!old) {
        diff.push({ ...base, change: 'added', toVersion: d.pack.version });
        continue;
      }
      // Changed at all is decided on the real plans: the shown one may carry stand-ins for stored secrets,
      // which differ from the stored values even where nothing changes (review 15, item 4).
      const same = JSON.stringify(old.pack) === JSON.stringify(d.pack);
      let changes = same ? [] : describePackChanges(old, shown.get(d.pack.name) ?? d);
      if (changes.length === 0 && !same) changes = [SENSITIVE_CHANGED];
      if (usesGivenSecret.has(d.pack.name)) {
        // Whether a given sensitive value equals the stored one is never told: that would let a caller guess it.
        changes = [...changes.filter((line) => line !== SENSITIVE_CHANGED), SENSITIVE_GIVEN];
      }
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

  /**
   * The packs as a preview shows their lines: when the caller gave values and the attachment holds sealed ones
   * the caller did not give, planned again with each of those replaced by a random stand-in. A stored secret is
   * then never in the text the lines are made of, so a given value that equals it (or holds it) comes back as
   * typed, like a wrong guess, and not masked: masking it would answer whether the guess was right. Whether a
   * pack changed at all is still decided on the real plan (the caller's own values; no secret compared).
   */
  private async shownPlan(
    input: AttachInput,
    version: string,
    values: Readonly<Record<string, string>>,
    sealed: readonly string[],
    desired: readonly DesiredPack[],
    loads: PlanLoads,
  ): Promise<Map<string, DesiredPack>> {
    const given = input.values ?? {};
    const stored = sealed.filter((name) => !(name in given));
    if (Object.keys(given).length === 0 || stored.length === 0)
      return new Map(desired.map((d) => [d.pack.name, d]));
    const planned = await this.planWithStandIns(input, version, values, stored, sealed, loads);
    return new Map(planned.map((d) => [d.pack.name, d]));
  }

  /** The plan with each of `replaced`'s values swapped for a random stand-in (never a stored or given value). */
  private async planWithStandIns(
    input: AttachInput,
    version: string,
    values: Readonly<Record<string, string>>,
    replaced: readonly string[],
    sealed: readonly string[],
    loads: PlanLoads,
  ): Promise<DesiredPack[]> {
    const standIn = { ...values };
    for (const name of replaced) standIn[name] = `stand-in-${randomBytes(12).toString('hex')}`;
    const { desired } = await this.planner.plan(
      input.cluster,
      { profile: input.profile, version, values: standIn, sealed },
      loads,
    );
    return desired;
  }

  /**
   * The packs whose definition depends on a sensitive value the caller gave: planned again with each such value
   * replaced by a random one, the packs that differ are the ones using it.
   */
  private async packsUsingGivenSensitive(
    input: AttachInput,
    version: string,
    values: Readonly<Record<string, string>>,
    sensitive: ReadonlySet<string>,
    desired: readonly { readonly pack: { readonly name: string } }[],
    loads: PlanLoads,
  ): Promise<Set<string>> {
    const given = Object.keys(input.values ?? {}).filter((name) => sensitive.has(name));
    if (given.length === 0) return new Set();
    const probed = await this.planWithStandIns(input, version, values, given, [...sensitive], loads);
    const byName = new Map(probed.map((d) => [d.pack.name, JSON.stringify(d.pack)]));
    return new Set(
      desired.filter((d) => byName.get(d.pack.name) !== JSON.stringify(d.pack)).map((d) => d.pack.name),
    );
  }

  async update(input: AttachInput, actor: Actor): Promise<AttachmentView> {
    const runtime = this.fleet.runtime(input.cluster);
    const current = await this.store.attachments.get(input.cluster, input.profile);
    if (!current) throw notFound('attachment', `${input.cluster}/${input.profile}`);
    const version = input.version ?? current.version;
    const values = {
      ...(await this.store.attachments.revealValues(input.cluster, input.profile)),
      ...input.values,
    };
    return this.save(runtime, { ...input, version, values, sealed: current.sensitive }, actor, 'update');
  }

  /** Detaches a profile: its packs are uninstalled in reverse install order. */
  async detach(cluster: string, profile: string, actor: Actor): Promise<void> {
    const runtime = this.fleet.runtime(cluster);
    if (!(await this.store.attachments.get(cluster, profile)))
      throw notFound('attachment', `${cluster}/${profile}`);
    const { desired } = await this.planner.plan(cluster, { profile, remove: true });
    await mapStoreErrors(() =>
      this.store.transaction(async (tx) => {
        await tx.attachments.detach(cluster, profile);
        await tx.audit.record({
          actor,
          action: 'attachment.delete',
          target: `cluster/${cluster}/profile/${profile}`,
        });
      }),
    );
    this.fleet.setDesired(runtime, desired);
    this.emit({ kind: 'attachment.removed', cluster, time: new Date().toISOString(), data: { profile } });
  }

  /**
   * Newer versions of these profiles were published: every attachment of them, on every cluster the hub runs,
   * is sent again, so an open page shows "Update available" without a reload.
   */
  async announce(profiles: readonly string[]): Promise<void> {
    const names = new Set(profiles);
    const time = new Date().toISOString();
    for (const cluster of this.fleet.clusters()) {
      for (const record of await this.store.attachments.list(cluster)) {
        if (names.has(record.profile))
          this.emit({ kind: 'attachment.changed', cluster, time, data: await this.view(record) });
      }
    }
  }

  async list(cluster: string): Promise<AttachmentView[]> {
    this.fleet.runtime(cluster);
    const records = await this.store.attachments.list(cluster);
    return Promise.all(records.map((r) => this.view(r)));
  }

  /**
   * Plans the cluster with the attachment as given (a HubError with positioned issues if it does not fit),
   * stores it with its sensitive values sealed and an audit entry in one transaction, then hands the packs to
   * the runner.
   */
  private async save(
    runtime: ClusterRuntime,
    input: Required<Pick<AttachInput, 'cluster' | 'profile' | 'version' | 'values'>> & {
      readonly sealed?: readonly string[];
    },
    actor: Actor,
    action: 'create' | 'update',
  ): Promise<AttachmentView> {
    const { cluster, profile, version, values } = input;
    const plan = await this.planner.plan(cluster, {
      profile,
      version,
      values,
      sealed: input.sealed ?? [],
    });
    const { desired, sensitive } = plan;
    const sealed = Object.keys(values).filter((k) => sensitive.has(k));
    const record = await mapStoreErrors(() =>
      this.store.transaction(async (tx) => {
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
    this.fleet.setDesired(runtime, desired);
    // The next plan of the cluster shares these packs with the runner instead of parsing every profile again.
    this.planner.keep(cluster, plan);
    const view = await this.view(record);
    this.emit({ kind: 'attachment.changed', cluster, time: new Date().toISOString(), data: view });
    return view;
  }

  private async view(record: AttachmentRecord): Promise<AttachmentView> {
    // The versions alone (no profile document loaded and parsed): this runs on every page read (issue 15).
    const latest = (await this.store.profiles.versions(record.profile)).filter((v) => v.published).at(-1);
    const newer = latest && semver.gt(latest.version, record.version) ? latest.version : undefined;
    return {
      cluster: record.cluster,
      profile: record.profile,
      version: record.version,
      values: record.values,
      sensitive: [...record.sensitive],
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      ...(newer ? { updateAvailable: newer } : {}),
    };
  }
}
