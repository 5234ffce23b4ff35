// Cluster profiles: drafts, which can be overwritten, and published versions, which cannot. What was
// published under name+version is what every cluster attached to it runs, so publishing the same version
// again is only allowed with byte-identical source (an idempotent retry), never with different content.
import { createHash } from 'node:crypto';
import semver from 'semver';
import type { ClusterProfile, ProfileType } from '../profile/index.js';
import { inTransaction, nowIso, type StoreContext, type TransactionContext } from './context.js';
import { blobDigest, putBlob } from './blobs.js';
import { constraintKind } from './db-errors.js';
import { StoreError, StoreErrorCode, notFound } from './errors.js';
import { fromJson, toJson } from './json-column.js';
import type { Row } from './schema.js';

export interface ProfileInput {
  /** The YAML text as the user wrote it; kept so the UI and `strata` can show and diff the original. */
  readonly source: string;
  /** The parsed, validated profile (`parseProfile(…).profile`); name, version and type are read from it. */
  readonly profile: ClusterProfile;
  /**
   * The local charts and manifest files the profile references, by normalized path: stored as blobs (once per
   * digest) with the version, which renders only from them.
   */
  readonly files?: ReadonlyMap<string, Uint8Array>;
  /**
   * The version of the parser that made `profile` of `source` (PROFILE_PARSER_VERSION), stored with it so a
   * reader knows whether `profile` is what its own parser would make. Without it: 0, no parser.
   */
  readonly parserVersion?: number;
}

export interface ProfileVersionRecord {
  readonly name: string;
  readonly version: string;
  readonly type: ProfileType;
  readonly published: boolean;
  /** sha256 of the source, hex. */
  readonly contentHash: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly publishedAt?: string;
}

export interface StoredProfile extends ProfileVersionRecord {
  readonly source: string;
  readonly profile: ClusterProfile;
  /**
   * The parser version that made `profile` (ProfileInput.parserVersion); 0 for versions stored before it was
   * recorded, or whose `profile` JSON does not carry as parsed. A reader whose parser is another version and
   * needs `profile` exact parses `source` again.
   */
  readonly parserVersion: number;
  /** Each local chart or file path → the sha256 of its blob (read it with `store.blobs.get`). */
  readonly blobs: Readonly<Record<string, string>>;
}

export interface ProfileSummary {
  readonly name: string;
  /** The type of the newest version. */
  readonly type: ProfileType;
  /** Every version, oldest first (semver order). */
  readonly versions: readonly string[];
  readonly latest: string;
  readonly latestPublished?: string;
}

export interface LatestOptions {
  /** Only published versions (default false: drafts count). */
  readonly publishedOnly?: boolean;
}

const VERSION_COLUMNS = [
  'name',
  'version',
  'type',
  'published',
  'content_hash',
  'created_at',
  'updated_at',
  'published_at',
] as const;
type VersionRow = Pick<Row<'profiles'>, (typeof VERSION_COLUMNS)[number]>;

const toVersion = (row: VersionRow): ProfileVersionRecord => ({
  name: row.name,
  version: row.version,
  type: row.type as ProfileType,
  published: row.published === 1,
  contentHash: row.content_hash,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  ...(row.published_at === null ? {} : { publishedAt: row.published_at }),
});

/** `profile`: the row's `parsed` as read back, when the caller has it already. */
const toStored = (
  row: Row<'profiles'>,
  profile: ClusterProfile = fromJson<ClusterProfile>(row.parsed),
): StoredProfile => ({
  ...toVersion(row),
  source: row.source,
  profile,
  parserVersion: row.parser_version,
  blobs: fromJson<Record<string, string>>(row.blobs),
});

const bySemver = (a: { version: string }, b: { version: string }) => semver.compare(a.version, b.version);

export class ProfilesRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Creates or overwrites a draft. A published version cannot be turned back into a draft. */
  async saveDraft(input: ProfileInput): Promise<StoredProfile> {
    const { name, version } = identify(input);
    return inTransaction(this.ctx, async (tx) => {
      const existing = await find(tx, name, version);
      if (existing?.published === 1) {
        throw new StoreError(
          StoreErrorCode.ProfileVersionPublished,
          `profile ${name} ${version} is published and cannot change; save the change as a new version`,
          { entity: 'profile' },
        );
      }
      return write(tx, input, { published: false, existing });
    });
  }

  /**
   * Publishes `input` as name+version: new, or replacing a draft of that version. Publishing again with the
   * same source returns the stored version unchanged; with different source it is PROFILE_VERSION_CONFLICT.
   */
  async publish(input: ProfileInput): Promise<StoredProfile> {
    const { name, version } = identify(input);
    return inTransaction(this.ctx, async (tx) => {
      const existing = await find(tx, name, version);
      if (existing?.published === 1) {
        if (existing.content_hash === contentHash(input.source, digests(input))) return toStored(existing);
        throw conflict(name, version);
      }
      return write(tx, input, { published: true, existing });
    });
  }

  /** Publishes an existing draft as it is, with the files it was saved with. */
  async publishDraft(name: string, version: string): Promise<StoredProfile> {
    return inTransaction(this.ctx, async (tx) => {
      const existing = await find(tx, name, version);
      if (existing?.published === 1) return toStored(existing);
      if (existing === undefined) throw notFound('profile', `${name} ${version}`);
      const time = nowIso(tx);
      await tx.db
        .updateTable('profiles')
        .set({ published: 1, updated_at: time, published_at: time })
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
      return toStored({ ...existing, published: 1, updated_at: time, published_at: time });
    });
  }

  async get(name: string, version: string): Promise<StoredProfile | undefined> {
    const row = await find(this.ctx, name, version);
    return row && toStored(row);
  }

  /** Every version of a profile, oldest first by semver (so 1.10.0 comes after 1.9.0). */
  async versions(name: string): Promise<ProfileVersionRecord[]> {
    const rows = await this.ctx.db
      .selectFrom('profiles')
      .select(VERSION_COLUMNS)
      .where('name', '=', name)
      .execute();
    return rows.map(toVersion).sort(bySemver);
  }

  /** The highest version by semver, or undefined when there is none. */
  async latest(name: string, options: LatestOptions = {}): Promise<StoredProfile | undefined> {
    const candidates = (await this.versions(name)).filter(
      (v) => v.published || options.publishedOnly !== true,
    );
    const newest = candidates.at(-1);
    return newest && this.get(name, newest.version);
  }

  async list(): Promise<ProfileSummary[]> {
    const rows = await this.ctx.db.selectFrom('profiles').select(VERSION_COLUMNS).orderBy('name').execute();
    const byName = new Map<string, ProfileVersionRecord[]>();
    for (const row of rows) {
      const list = byName.get(row.name) ?? [];
      list.push(toVersion(row));
      byName.set(row.name, list);
    }
    return [...byName.entries()].map(([name, versions]) => {
      versions.sort(bySemver);
      const latest = versions.at(-1) as ProfileVersionRecord;
      const latestPublished = versions.filter((v) => v.published).at(-1)?.version;
      return {
        name,
        type: latest.type,
        versions: versions.map((v) => v.version),
        latest: latest.version,
        ...(latestPublished === undefined ? {} : { latestPublished }),
      };
    });
  }

  /** Deletes a draft. Published versions are kept for ever (clusters and history refer to them). */
  async deleteDraft(name: string, version: string): Promise<void> {
    await inTransaction(this.ctx, async (tx) => {
      const existing = await find(tx, name, version);
      if (existing === undefined) throw notFound('profile', `${name} ${version}`);
      if (existing.published === 1) {
        throw new StoreError(
          StoreErrorCode.ProfileVersionPublished,
          `profile ${name} ${version} is published and cannot be deleted`,
          {
            entity: 'profile',
          },
        );
      }
      const users = await tx.db
        .selectFrom('attachments')
        .innerJoin('clusters', 'clusters.id', 'attachments.cluster_id')
        .select('clusters.name')
        .where('profile_name', '=', name)
        .where('profile_version', '=', version)
        .execute();
      if (users.length > 0)
        throw inUse(
          name,
          version,
          users.map((u) => u.name),
        );
      try {
        await tx.db.deleteFrom('profiles').where('name', '=', name).where('version', '=', version).execute();
      } catch (error) {
        // A cluster attached between our check and the delete.
        if (constraintKind(error) === 'foreign-key') throw inUse(name, version, [], error);
        throw error;
      }
    });
  }
}

function identify(input: ProfileInput): { name: string; version: string } {
  const name = input.profile.metadata.name;
  const version = input.profile.spec.version;
  if (name === '')
    throw new StoreError(StoreErrorCode.InvalidInput, 'the profile has no name', { entity: 'profile' });
  if (semver.valid(version) !== version) {
    throw new StoreError(
      StoreErrorCode.InvalidInput,
      `profile ${name}: version ${JSON.stringify(version)} is not a semantic version (e.g. 1.2.0)`,
      { entity: 'profile' },
    );
  }
  return { name, version };
}

/** path → digest of the input's files, in path order. */
function digests(input: ProfileInput): Record<string, string> {
  const entries = [...(input.files ?? new Map<string, Uint8Array>()).entries()];
  return Object.fromEntries(
    entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, content]) => [path, blobDigest(content)]),
  );
}

/**
 * What "the same content" means for a version: its source and, when it has local files, which content each
 * path holds (a chart edited after publishing is different content). Without files it is the hash of the
 * source alone, as it was before versions carried files.
 */
function contentHash(source: string, blobs: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256').update(source, 'utf8');
  if (Object.keys(blobs).length > 0) hash.update(`\0${JSON.stringify(blobs)}`, 'utf8');
  return hash.digest('hex');
}

async function find(ctx: StoreContext, name: string, version: string): Promise<Row<'profiles'> | undefined> {
  return ctx.db
    .selectFrom('profiles')
    .selectAll()
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
}

async function write(
  tx: TransactionContext,
  input: ProfileInput,
  options: { published: boolean; existing: Row<'profiles'> | undefined },
): Promise<StoredProfile> {
  const { name, version } = identify(input);
  const time = nowIso(tx);
  for (const content of input.files?.values() ?? []) await putBlob(tx, content);
  const blobs = digests(input);
  // What JSON cannot carry as parsed (a `.nan` or `.inf` in values) reads back different: such a version is
  // stamped as from no parser, so it is planned from its source.
  const exact = exactAsJson(input.profile);
  const row: Row<'profiles'> = {
    name,
    version,
    type: input.profile.spec.type,
    source: input.source,
    parsed: toJson(input.profile),
    parser_version: exact ? (input.parserVersion ?? 0) : 0,
    content_hash: contentHash(input.source, blobs),
    published: options.published ? 1 : 0,
    created_at: options.existing?.created_at ?? time,
    updated_at: time,
    published_at: options.published ? time : null,
    blobs: toJson(blobs),
  };
  if (options.existing === undefined) {
    try {
      await tx.db.insertInto('profiles').values(row).execute();
    } catch (error) {
      // Another writer created the same version between our read and this insert.
      if (constraintKind(error) === 'unique') throw conflict(name, version, error);
      throw error;
    }
  } else {
    const { name: _n, version: _v, ...changes } = row;
    await tx.db
      .updateTable('profiles')
      .set(changes)
      .where('name', '=', name)
      .where('version', '=', version)
      .execute();
  }
  // The profile as given when its JSON reads back the same: parsing the text just written would only make a
  // copy (a 5,000-object profile: ~5 MB of garbage per import, issue 15). Otherwise what a later read returns.
  return toStored(row, exact ? input.profile : undefined);
}

/**
 * Whether JSON.parse(JSON.stringify(value)) gives back the same data: only plain objects, arrays, strings,
 * booleans, null and finite numbers other than -0 (what a parsed YAML document holds but JSON does not carry:
 * NaN and ±Infinity become null, -0 becomes 0).
 */
export function exactAsJson(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      if (value === null) return true;
      if (Array.isArray(value)) return value.every(exactAsJson);
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const item of Object.values(value)) if (item !== undefined && !exactAsJson(item)) return false;
      return true;
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return false;
  }
}

function conflict(name: string, version: string, cause?: unknown): StoreError {
  return new StoreError(
    StoreErrorCode.ProfileVersionConflict,
    `profile ${name} ${version} is already published with different content; publish the change as a new version`,
    { entity: 'profile', ...(cause === undefined ? {} : { cause }) },
  );
}

function inUse(name: string, version: string, clusters: readonly string[], cause?: unknown): StoreError {
  const which = clusters.length > 0 ? ` by ${clusters.join(', ')}` : '';
  return new StoreError(
    StoreErrorCode.ProfileInUse,
    `profile ${name} ${version} is in use${which}; detach it first`,
    {
      entity: 'profile',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}
