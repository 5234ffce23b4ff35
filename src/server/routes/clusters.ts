// Clusters: register one with its kubeconfig, list them with their rollup colour, get one, remove one.
import { z } from 'zod';
import type { ClusterView } from '../../hub/index.js';
import { packPhaseDisplay } from '../../status/index.js';
import { ClusterSchema, RegisterClusterSchema } from '../schemas.js';
import { API_PREFIX, jsonRoute, Role } from '../route.js';

export const ClusterParams = z.object({ cluster: z.string().min(1) });

/** The hub's view plus its colour: the list and the page show the rollup as a colour, not just a phase. */
export const presentCluster = (view: ClusterView): z.input<typeof ClusterSchema> => ({
  ...view,
  color: packPhaseDisplay[view.phase].color,
});

const presentedLists = new WeakMap<readonly ClusterView[], z.input<typeof ClusterSchema>[]>();

export const clusterRoutes = [
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/clusters`,
    operationId: 'registerCluster',
    tag: 'clusters',
    summary: 'Register a cluster with its kubeconfig',
    description:
      'Checks that the API server answers and the credentials are accepted before anything is stored: ' +
      'KUBECONFIG_INVALID (400) when the file cannot be used, CLUSTER_UNREACHABLE / CLUSTER_TLS / ' +
      'CLUSTER_UNAUTHORIZED / CLUSTER_FORBIDDEN (422) when the cluster refuses, CLUSTER_EXISTS (409). The ' +
      'kubeconfig is data: exec users (unless the hub allows that plugin by name), auth-provider users, file ' +
      'references and a server or proxy-url in a denied address range (STRATA_OUTBOUND_DENY) are ' +
      'KUBECONFIG_INVALID, before anything runs, is read or is contacted.',
    role: Role.Admin,
    body: RegisterClusterSchema,
    status: 201,
    response: ClusterSchema,
    errors: [409, 413, 422],
    handler: async ({ hub, body, actor }) => presentCluster(await hub.registerCluster(body, actor)),
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/clusters`,
    operationId: 'listClusters',
    tag: 'clusters',
    summary: 'List clusters with their rollup colour and pack counts per phase',
    role: Role.Viewer,
    status: 200,
    etag: true,
    response: z.array(ClusterSchema),
    handler: async ({ hub }) => {
      const list = await hub.listClusters();
      // The hub returns the same list while no cluster changed: so does this route (see etag.ts).
      const shown = presentedLists.get(list) ?? list.map(presentCluster);
      presentedLists.set(list, shown);
      return shown;
    },
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/clusters/{cluster}`,
    operationId: 'getCluster',
    tag: 'clusters',
    summary: 'Get one cluster',
    role: Role.Viewer,
    params: ClusterParams,
    status: 200,
    response: ClusterSchema,
    errors: [404],
    handler: async ({ hub, params }) => presentCluster(await hub.getCluster(params.cluster)),
  }),
  jsonRoute({
    method: 'DELETE',
    path: `${API_PREFIX}/clusters/{cluster}`,
    operationId: 'removeCluster',
    tag: 'clusters',
    summary: 'Remove a cluster (its runner stops; the history of its events is kept)',
    role: Role.Admin,
    params: ClusterParams,
    status: 204,
    response: undefined,
    errors: [404],
    handler: async ({ hub, params, actor }) => {
      await hub.removeCluster(params.cluster, actor);
      return undefined;
    },
  }),
];
