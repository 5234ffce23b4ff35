// Chart sources: Helm repositories and OCI registries the hub fetches remote charts from when a profile
// version is published, with their credentials (issue 13). Admin only: a source's password is the hub's to
// use, never to show; it is sealed in the store like a kubeconfig and no response carries it. The hub's
// `sources` service (src/hub/sources.ts) stores them.
import { z } from 'zod';
import { ChartSourceSchema, PutChartSourceSchema, SourceNameSchema } from '../schemas.js';
import { API_PREFIX, jsonRoute, Role } from '../route.js';

const SourceParams = z.object({ name: SourceNameSchema });

export const sourceRoutes = [
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/sources`,
    operationId: 'putSource',
    tag: 'sources',
    summary: 'Add or replace a chart source (Helm repository or OCI registry) with its credentials',
    description:
      'Remote charts whose URL starts with the source URL (at a `/` boundary; `oci://host` and ' +
      '`https://host` name the same registry) are fetched with these credentials when a profile version is ' +
      'published. The password and CA are stored encrypted and never returned.',
    role: Role.Admin,
    body: PutChartSourceSchema,
    status: 200,
    response: ChartSourceSchema,
    errors: [400],
    handler: ({ hub, body, actor }) => hub.sources.put(body, actor),
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/sources`,
    operationId: 'listSources',
    tag: 'sources',
    summary: 'List chart sources (never their passwords)',
    role: Role.Admin,
    status: 200,
    response: z.array(ChartSourceSchema),
    handler: ({ hub }) => hub.sources.list(),
  }),
  jsonRoute({
    method: 'DELETE',
    path: `${API_PREFIX}/sources/{name}`,
    operationId: 'deleteSource',
    tag: 'sources',
    summary: 'Remove a chart source; versions already published keep the charts they pinned',
    role: Role.Admin,
    params: SourceParams,
    status: 204,
    response: undefined,
    errors: [404],
    handler: async ({ hub, params, actor }) => {
      await hub.sources.remove(params.name, actor);
      return undefined;
    },
  }),
];
