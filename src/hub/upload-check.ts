// Checking a profile upload (YAML or bundle): unpack, parse, validate, and refuse chart sources in denied
// address ranges. Pure over its input apart from DNS look-ups, with a plain-data result, so it can run in a
// worker thread (upload-worker.ts): the hub's event loop never parses a client's YAML.
import { lookup } from 'node:dns/promises';
import { checkOutbound, type AddressRange, type Resolve } from '../kube/index.js';
import {
  ChartSourceKind,
  checkProfileUpload,
  IssueKind,
  PackType,
  type BundleEntry,
  type ClusterProfile,
  type LoadedProfile,
  type LocalReference,
  type ProfileIssue,
} from '../profile/index.js';

export interface UploadInput {
  readonly yaml?: string;
  readonly bundle?: Uint8Array;
  /** The name issues are reported against. */
  readonly shown: string;
  /** Address ranges chart sources may not be in (STRATA_OUTBOUND_DENY). */
  readonly deny: readonly AddressRange[];
  /**
   * Whether chart hosts given by name are looked up in DNS to check the addresses they reach. Default true.
   * False for a viewer's validation: which address a name reaches from the hub is the hub's network to know,
   * not a read-only token's to probe (a refusal names the address); IP literals are still checked.
   */
  readonly resolveHosts?: boolean;
}

/** What a valid upload stores: each profile and the entries it references. */
export interface CheckedProfile {
  readonly profile: ClusterProfile;
  readonly references: readonly LocalReference[];
}

export type UploadResult =
  | {
      readonly kind: 'ok';
      readonly source: string;
      readonly entries: readonly BundleEntry[];
      readonly profiles: readonly CheckedProfile[];
    }
  | { readonly kind: 'issues'; readonly issues: readonly ProfileIssue[] }
  /** The bundle itself is malformed, too large, or carries an entry the profile does not use. */
  | { readonly kind: 'bundle'; readonly tooLarge: boolean; readonly message: string };

export async function checkUpload(input: UploadInput): Promise<UploadResult> {
  // The same check `strata profile validate` runs offline; then what only the hub checks.
  const checked = await checkProfileUpload(input);
  if (checked.kind !== 'ok') return checked;
  const refused = await deniedChartSources(
    checked.loaded,
    new Set(input.deny),
    input.resolveHosts === false ? noLookups : onceEach(resolveAll),
  );
  if (refused.length > 0) return { kind: 'issues', issues: refused };
  return {
    kind: 'ok',
    source: checked.source,
    entries: [...checked.entries.values()],
    profiles: checked.loaded.map((p) => ({ profile: p.profile, references: p.references })),
  };
}

/**
 * Chart repositories and OCI registries are contacted by helm when a pack renders: the outbound policy that
 * guards cluster servers (STRATA_OUTBOUND_DENY, link-local by default) guards them too, checked at publish
 * and validation time so a profile cannot point the hub at a metadata endpoint.
 */
async function deniedChartSources(
  profiles: readonly LoadedProfile[],
  deny: ReadonlySet<AddressRange>,
  resolve: Resolve,
): Promise<ProfileIssue[]> {
  const issues: ProfileIssue[] = [];
  for (const loaded of profiles) {
    for (const [index, pack] of loaded.profile.spec.packs.entries()) {
      if (pack.type !== PackType.Helm || pack.chart.kind === ChartSourceKind.Local) continue;
      const [field, written] =
        pack.chart.kind === ChartSourceKind.Repo
          ? (['repo', pack.chart.repo] as const)
          : (['oci', pack.chart.ref] as const);
      const refusal = await checkOutbound(written.replace(/^oci:\/\//, 'https://'), deny, resolve);
      if (refusal === undefined) continue;
      issues.push({
        ...loaded.source.position(['spec', 'packs', index, 'chart', field]),
        path: `spec.packs[${index}].chart.${field}`,
        kind: IssueKind.InvalidValue,
        message:
          `chart source ${JSON.stringify(written)} reaches ${refusal.address}, in the ${refusal.range} range ` +
          `the hub does not contact (STRATA_OUTBOUND_DENY=${[...deny].join(',')})`,
      });
    }
  }
  return issues;
}

const resolveAll: Resolve = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** No name is looked up: only chart hosts written as IP addresses are checked. */
const noLookups: Resolve = () => Promise.resolve([]);

/** Each host looked up once per upload, however many packs name it. */
function onceEach(resolve: Resolve): Resolve {
  const seen = new Map<string, Promise<string[]>>();
  return (host) => {
    let addresses = seen.get(host);
    if (addresses === undefined) {
      addresses = resolve(host);
      seen.set(host, addresses);
    }
    return addresses;
  };
}
