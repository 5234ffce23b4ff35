// The Cluster Profile page, a pack's history, runs and rendered values, and the two actions on a cluster's packs.
import { z } from 'zod';
import {
  ClusterPageSchema,
  PackRunSchema,
  PackTransitionSchema,
  PackTransitionsSchema,
  PackValuesSchema,
} from '../schemas.js';
import { HISTORY_PAGE, RUNS_PAGE, TIMELINE_PAGE, type ClusterPage } from '../../hub/index.js';
import { API_PREFIX, jsonRoute, Role, roleRank } from '../route.js';
import { untilClosed } from '../request-closed.js';
import { ClusterParams, presentCluster } from './clusters.js';

const PackParams = ClusterParams.extend({ pack: z.string().min(1) });

/** `?limit=&before=`: a page of `items` (transitions, runs), the newest first read, then older ones by `next`. */
const pageQuery = (sizes: { readonly default: number; readonly max: number }, items = 'transitions') =>
  z.strictObject({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(sizes.max)
      .optional()
      .describe(`${items} in the page (default ${sizes.default}, at most ${sizes.max})`),
    before: z.coerce
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe(`only ${items} older than this cursor: the \`next\` of the page read before`),
  });

const nextCursor = (items = 'transitions') =>
  z
    .number()
    .int()
    .optional()
    .describe(`pass as ?before= for the page of older ${items}; absent when there are none`);

const PackHistorySchema = z
  .object({ transitions: z.array(PackTransitionSchema).describe('oldest first'), next: nextCursor() })
  .meta({ id: 'PackHistory' });

const PackRunsSchema = z
  .object({ runs: z.array(PackRunSchema).describe('oldest first'), next: nextCursor('runs') })
  .meta({ id: 'PackRuns' });

const ClusterTransitionsSchema = z
  .object({
    packs: z.array(PackTransitionsSchema).describe('in install order'),
    next: nextCursor(),
  })
  .meta({ id: 'ClusterTransitions' });

const presented = new WeakMap<
  ClusterPage,
  ClusterPage & { readonly cluster: ReturnType<typeof presentCluster> }
>();

/**
 * The page as the route answers it: its cluster presented (with its colour). The hub returns the same page object
 * while nothing on it changed, and so does this (see etag.ts): its bytes are made once per change.
 */
export function presentPage(
  page: ClusterPage,
): ClusterPage & { readonly cluster: ReturnType<typeof presentCluster> } {
  const shown = presented.get(page) ?? { ...page, cluster: presentCluster(page.cluster) };
  presented.set(page, shown);
  return shown;
}

export const packRoutes = [
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/clusters/{cluster}/page`,
    operationId: 'getClusterPage',
    tag: 'status',
    summary: 'The Cluster Profile page: the cluster, its attachments and its packs in install order',
    role: Role.Viewer,
    params: ClusterParams,
    status: 200,
    etag: true,
    response: ClusterPageSchema,
    errors: [404],
    // Most reads of a kept page are answered before Fastify routes them, with the same bytes (kept-page-answer.ts).
    handler: async ({ hub, params }) => presentPage(await hub.clusterPage(params.cluster)),
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/clusters/{cluster}/packs/{pack}/history`,
    operationId: 'getPackHistory',
    tag: 'status',
    summary: "A page of a pack's phase transitions (the newest, or those before ?before=), oldest first",
    role: Role.Viewer,
    params: PackParams,
    query: pageQuery(HISTORY_PAGE),
    status: 200,
    response: PackHistorySchema,
    errors: [404],
    handler: ({ hub, params, query }) => hub.packHistory(params.cluster, params.pack, query),
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/clusters/{cluster}/packs/{pack}/runs`,
    operationId: 'getPackRuns',
    tag: 'status',
    summary:
      "A page of a pack's runs (install, upgrade, retry, uninstall; the newest, or those before ?before=), oldest first",
    description:
      "The page carries each pack's current run (`lastRun`) and how many it keeps (`runCount`); this route " +
      'reads them all, a page at a time. The cursor is the start of the oldest run read, in ms since the epoch.',
    role: Role.Viewer,
    params: PackParams,
    query: pageQuery(RUNS_PAGE, 'runs'),
    status: 200,
    etag: true,
    response: PackRunsSchema,
    errors: [404],
    // Read from the live status, no store query (a 404 thrown here reaches the error handler as any other).
    handler: ({ hub, params, query }) => Promise.resolve(hub.packRuns(params.cluster, params.pack, query)),
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/clusters/{cluster}/transitions`,
    operationId: 'getClusterTransitions',
    tag: 'status',
    summary: "Every pack's phase transitions, packs in install order (the install timeline)",
    role: Role.Viewer,
    params: ClusterParams,
    query: pageQuery(TIMELINE_PAGE),
    status: 200,
    response: ClusterTransitionsSchema,
    errors: [404],
    handler: ({ hub, params, query }) => hub.clusterTransitions(params.cluster, query),
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/clusters/{cluster}/packs/{pack}/values`,
    operationId: 'getPackValues',
    tag: 'status',
    summary:
      'What a pack deploys with on this cluster: its values (Helm) or objects (manifests), resolved, sensitive values masked',
    role: Role.Viewer,
    params: PackParams,
    status: 200,
    response: PackValuesSchema,
    errors: [404, 429],
    // A large pack's values are written on a shared thread: its waiting places are shared per token, and a
    // client that closes its request gives up its place (request-closed.ts).
    handler: ({ hub, params, actor, callerRole, request }) =>
      untilClosed(request, (signal) =>
        hub.packValues(
          params.cluster,
          params.pack,
          { key: actor.tokenId ?? actor.name, privileged: roleRank[callerRole] >= roleRank[Role.Operator] },
          signal,
        ),
      ),
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/clusters/{cluster}/packs/{pack}/retry`,
    operationId: 'retryPack',
    tag: 'status',
    summary: 'Retry a failed pack now',
    role: Role.Operator,
    params: PackParams,
    status: 202,
    response: undefined,
    errors: [404],
    handler: async ({ hub, params, actor }) => {
      await hub.retryPack(params.cluster, params.pack, actor);
      return undefined;
    },
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/clusters/{cluster}/resync`,
    operationId: 'resyncCluster',
    tag: 'status',
    summary: "Re-read the cluster's live state and re-apply what drifted",
    role: Role.Operator,
    params: ClusterParams,
    status: 202,
    response: undefined,
    errors: [404],
    handler: async ({ hub, params, actor }) => {
      await hub.resync(params.cluster, actor);
      return undefined;
    },
  }),
];
