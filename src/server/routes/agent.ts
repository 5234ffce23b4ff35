// Agent clusters (issue 16): registering one (admin), and the routes its agent calls with its agent token, which
// may call nothing else (auth.ts). The agent pulls its cluster's desired state (ETag: an idle agent's poll is a
// 304) and the chart archives it names, and pushes its runner's events in ordered, idempotent batches.
import { z } from 'zod';
import {
  AgentAckSchema,
  AgentBatchSchema,
  AgentDesiredSchema,
  AgentStatusesSchema,
  ClusterSummarySchema,
  DigestSchema,
} from '../../hub/index.js';
import { DriftPolicySchema, NameSchema } from '../schemas.js';
import { matchesIfNoneMatch } from '../etag.js';
import { API_PREFIX, jsonRoute, Role, streamRoute } from '../route.js';
import { presentCluster } from './clusters.js';

export const AGENT_PREFIX = `${API_PREFIX}/agent`;

const RegisterAgentClusterSchema = z
  .object({ name: NameSchema, driftPolicy: DriftPolicySchema.optional() })
  .meta({ id: 'RegisterAgentCluster' });

const RegisteredAgentClusterSchema = z
  .object({
    cluster: ClusterSummarySchema,
    token: z
      .string()
      .describe('the agent token: shown this once; give it to the agent (strata agent --token)'),
  })
  .meta({ id: 'RegisteredAgentCluster' });

export const agentRoutes = [
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/agent-clusters`,
    operationId: 'registerAgentCluster',
    tag: 'agents',
    summary: 'Register a cluster run by an agent (strata agent), and make its agent token',
    description:
      'The hub stores no kubeconfig for the cluster and never connects to it: its agent, running beside or ' +
      "inside it, connects out to the hub with the token returned here (shown once). The token's role, agent, " +
      "may only read this cluster's desired state and write its status. CLUSTER_EXISTS (409).",
    role: Role.Admin,
    body: RegisterAgentClusterSchema,
    status: 201,
    response: RegisteredAgentClusterSchema,
    errors: [409],
    handler: async ({ hub, body, actor }) => {
      const { cluster, token } = await hub.registerAgentCluster(body, actor);
      return { cluster: presentCluster(cluster), token };
    },
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/agent-clusters/{cluster}/token`,
    operationId: 'rotateAgentToken',
    tag: 'agents',
    summary: 'Make a new agent token for an agent cluster (the old one stops working at once)',
    description: 'For a lost or leaked token: give the new one to the agent (its state dir stays valid).',
    role: Role.Admin,
    params: z.object({ cluster: NameSchema }),
    status: 201,
    response: z.object({ token: z.string().describe('shown this once') }).meta({ id: 'AgentToken' }),
    errors: [404],
    handler: async ({ hub, params, actor }) => ({ token: await hub.rotateAgentToken(params.cluster, actor) }),
  }),
  jsonRoute({
    method: 'GET',
    path: `${AGENT_PREFIX}/desired`,
    operationId: 'agentDesired',
    tag: 'agents',
    summary: "The agent's cluster's desired packs (resolved), health rules and requested actions",
    description:
      'Polled by the agent with If-None-Match: 304 while nothing changed. Each poll counts as a heartbeat ' +
      '("agent connected / last seen" on the page).',
    role: Role.Agent,
    status: 200,
    etag: true,
    response: AgentDesiredSchema,
    errors: [404, 409],
    handler: ({ hub, actor }) => hub.agentDesired(actor),
  }),
  streamRoute({
    method: 'GET',
    path: `${AGENT_PREFIX}/charts/{digest}`,
    operationId: 'agentChart',
    tag: 'agents',
    summary: "A chart archive one of the agent's desired packs renders from, by its sha256",
    description:
      'The archive itself (application/octet-stream, Content-Length set): the agent checks its sha256. Sent as ' +
      'it is read from the store, a part at a time, so a reader that stops reading holds one part of the hub, ' +
      'not the archive; a costly request (at most a few per token at once: 429 TOO_MANY_REQUESTS past that). ' +
      'The ETag is the digest: a request naming it in If-None-Match gets 304.',
    role: Role.Agent,
    params: z.object({ digest: DigestSchema }),
    contentType: 'application/octet-stream',
    response: z.string().describe('the chart archive (.tgz), binary'),
    errors: [404, 409, 429],
    handler: async ({ hub, actor, params, request }, reply) => {
      const chart = await hub.agentChart(actor, params.digest);
      const etag = `"${params.digest}"`;
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
        chart.stream.destroy();
        await reply.code(304).send();
        return;
      }
      await reply
        .code(200)
        .type('application/octet-stream')
        .header('content-length', String(chart.size))
        .send(chart.stream);
    },
  }),
  jsonRoute({
    method: 'GET',
    path: `${AGENT_PREFIX}/statuses`,
    operationId: 'agentStatuses',
    tag: 'agents',
    summary:
      "What the hub has stored of each pack of the agent's cluster, and where the agent's stream stands",
    description: 'Read by an agent that starts without a record of its own (a new state dir).',
    role: Role.Agent,
    status: 200,
    response: AgentStatusesSchema,
    errors: [404, 409],
    handler: ({ hub, actor }) => hub.agentStatuses(actor),
  }),
  jsonRoute({
    method: 'POST',
    path: `${AGENT_PREFIX}/events`,
    operationId: 'agentPushEvents',
    tag: 'agents',
    summary: "Push a batch of the agent's runner events (pack statuses, removals, drift, connection)",
    description:
      "Events carry their place in the agent's stream (seq, from 1 for a new stream). Those already stored are " +
      'skipped, so a batch sent again after a lost answer is taken once; the rest must follow the last stored ' +
      'one (AGENT_SEQUENCE_GAP, 409, names where to resend from). Answered once every event is stored: when a ' +
      'database write failed, AGENT_BATCH_NOT_STORED (503, Retry-After) and the agent sends the batch again. ' +
      'An agent pushes a burst of 8 MiB of events (as JSON), then 512 KiB/s: past that AGENT_PUSHES_TOO_FAST ' +
      '(429, Retry-After). A status with a field the hub does not know is refused (400, naming it).',
    role: Role.Agent,
    body: AgentBatchSchema,
    status: 200,
    response: AgentAckSchema,
    errors: [404, 409, 429, 503],
    handler: ({ hub, actor, body }) => hub.agentPush(actor, body),
  }),
];
