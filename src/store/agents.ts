// Agent clusters (issue 16): a cluster run by `strata agent`, which connects out to the hub with the agent token
// made here. The hub keeps no kubeconfig for such a cluster, only the token's SHA-256 (tokens.ts says why a plain
// digest is enough for 256 random bits), when the agent was last heard from and where its status stream stands.
import { createHash, randomBytes } from 'node:crypto';
import { inTransaction, nowIso, type StoreContext } from './context.js';
import { ClustersRepository, type ClusterRecord, type DriftPolicy } from './clusters.js';
import { notFound } from './errors.js';
import { TOKEN_PREFIX } from './tokens.js';

/** Agent tokens look like API tokens to secret scanners but say what they are; they are never API tokens. */
export const AGENT_TOKEN_PREFIX = `${TOKEN_PREFIX}agent_`;

export interface AgentRecord {
  /** The cluster's id: one agent per cluster. */
  readonly id: string;
  readonly cluster: string;
  readonly createdAt: string;
  readonly lastSeenAt?: string;
  /** The status stream the agent last pushed, and the last of its events stored. */
  readonly stream?: string;
  readonly lastSeq: number;
}

export interface CreatedAgentCluster {
  readonly cluster: ClusterRecord;
  /** The agent token, returned this once and never stored. */
  readonly plaintext: string;
}

const digest = (plaintext: string) => createHash('sha256').update(plaintext, 'utf8').digest('hex');

interface AgentRow {
  cluster_id: string;
  name: string;
  created_at: string;
  last_seen_at: string | null;
  stream: string | null;
  last_seq: number;
}

const toRecord = (row: AgentRow): AgentRecord => ({
  id: row.cluster_id,
  cluster: row.name,
  createdAt: row.created_at,
  ...(row.last_seen_at === null ? {} : { lastSeenAt: row.last_seen_at }),
  ...(row.stream === null ? {} : { stream: row.stream }),
  lastSeq: row.last_seq,
});

export class AgentsRepository {
  constructor(private readonly ctx: StoreContext) {}

  private select() {
    return this.ctx.db
      .selectFrom('cluster_agents')
      .innerJoin('clusters', 'clusters.id', 'cluster_agents.cluster_id')
      .select([
        'cluster_agents.cluster_id',
        'clusters.name',
        'cluster_agents.created_at',
        'cluster_agents.last_seen_at',
        'cluster_agents.stream',
        'cluster_agents.last_seq',
      ]);
  }

  /**
   * Registers an agent cluster and makes its agent token. The cluster row holds no credentials (an empty
   * kubeconfig, sealed like any other): the hub never connects to it.
   */
  async create(input: { name: string; driftPolicy?: DriftPolicy }): Promise<CreatedAgentCluster> {
    return inTransaction(this.ctx, async (tx) => {
      const cluster = await new ClustersRepository(tx).create({
        name: input.name,
        kubeconfig: '',
        ...(input.driftPolicy === undefined ? {} : { driftPolicy: input.driftPolicy }),
      });
      const plaintext = AGENT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      await tx.db
        .insertInto('cluster_agents')
        .values({ cluster_id: cluster.id, token_hash: digest(plaintext), created_at: nowIso(tx) })
        .execute();
      return { cluster, plaintext };
    });
  }

  /** The agent of a cluster, or undefined when the cluster is not an agent cluster. */
  async get(cluster: string): Promise<AgentRecord | undefined> {
    const row = await this.select().where('clusters.name', '=', cluster).executeTakeFirst();
    return row && toRecord(row);
  }

  /** The agent a token belongs to; undefined when it is no agent token (or its cluster was removed). */
  async verify(plaintext: string): Promise<AgentRecord | undefined> {
    if (!plaintext.startsWith(AGENT_TOKEN_PREFIX)) return undefined;
    const row = await this.select()
      .where('cluster_agents.token_hash', '=', digest(plaintext))
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** By the cluster's id (an agent request's actor). */
  async byId(id: string): Promise<AgentRecord | undefined> {
    const row = await this.select().where('cluster_agents.cluster_id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** A new token for the agent; the old one stops working at once. */
  async rotate(cluster: string): Promise<string> {
    const agent = await this.get(cluster);
    if (agent === undefined) throw notFound('cluster', `${JSON.stringify(cluster)} (as an agent cluster)`);
    const plaintext = AGENT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    await this.ctx.db
      .updateTable('cluster_agents')
      .set({ token_hash: digest(plaintext) })
      .where('cluster_id', '=', agent.id)
      .execute();
    return plaintext;
  }

  /** The agent was heard from now. */
  async seen(id: string): Promise<string> {
    const time = nowIso(this.ctx);
    await this.ctx.db
      .updateTable('cluster_agents')
      .set({ last_seen_at: time })
      .where('cluster_id', '=', id)
      .execute();
    return time;
  }

  /** Every event of `stream` up to `seq` is stored: a replay of them is taken as already done. */
  async acknowledge(id: string, stream: string, seq: number): Promise<void> {
    await this.ctx.db
      .updateTable('cluster_agents')
      .set({ stream, last_seq: seq, last_seen_at: nowIso(this.ctx) })
      .where('cluster_id', '=', id)
      .execute();
  }
}
