// Agent clusters (issue 16): registering one (the cluster and its agent token), and everything its agent asks
// of the hub: its desired state, the chart archives it renders from, the statuses stored before it started,
// and the batches of runner events it pushes. Those go through the cluster's AgentRunner into the fleet's
// status writer, exactly as a local runner's events do, so the page, history and stream cannot tell the two
// apart. A batch is taken once: each event carries its place in the agent's stream, and the last one stored is
// kept with the cluster, in the database, so a batch replayed after a lost answer or a hub restart is skipped.
import type { Readable } from 'node:stream';
import type { AgentRecord, ClusterRecord, DriftPolicy, Store, TokenRecord } from '../store/index.js';
import type { AgentAck, AgentBatch, AgentDesired } from './agents-protocol.js';
import { AGENT_PUSH_LIMITS, AgentRunner } from './agents-runner.js';
import type { Actor } from './config.js';
import { HubError, HubErrorCode, mapStoreErrors, notFound } from './errors.js';
import type { Fleet } from './fleet.js';
import type { ClusterView } from './views.js';
import { toPackStatus } from '../store/index.js';
import type { PackStatus } from '../status/index.js';

/** An agent token's caller: never an API token, so no role of the viewer/operator/admin chain. */
export interface AgentCaller extends Omit<TokenRecord, 'role'> {
  readonly role: 'agent';
  /** The one cluster it may read the desired state of and write the status of. */
  readonly cluster: string;
}

export interface RegisteredAgentCluster {
  readonly cluster: ClusterView;
  /** The agent token, shown this once. */
  readonly token: string;
}

/**
 * How often a hub process writes an agent's "last seen" when it only polls (its pushes write it anyway). Under
 * the AgentRunner's silence window (three polls), so a replica that starts driving the cluster after a
 * failover reads a time recent enough not to call a polling agent silent.
 */
export const SEEN_PERSIST_MS = 10_000;

/** Per store (one per hub process), when each agent's "last seen" was last written. */
const seenWritten = new WeakMap<Store, Map<string, number>>();

function seenTimes(store: Store): Map<string, number> {
  let times = seenWritten.get(store);
  if (!times) {
    times = new Map();
    seenWritten.set(store, times);
  }
  return times;
}

/**
 * Writes that the agent was heard from, at most every SEEN_PERSIST_MS per agent and process. Every replica
 * does it for the requests it authenticates, also those it passes to the driving replica or cannot pass while
 * no replica drives the cluster: the agent reached the hub, and a replica taking the cluster over must know.
 * A failed write only loses a heartbeat: it never fails the agent's request.
 */
async function noteSeen(store: Store, agent: AgentRecord): Promise<void> {
  const times = seenTimes(store);
  const now = Date.now();
  if (now - (times.get(agent.id) ?? Number.NEGATIVE_INFINITY) < SEEN_PERSIST_MS) return;
  times.set(agent.id, now);
  await store.agents.seen(agent.id).catch(() => {
    times.delete(agent.id);
  });
}

export class Agents {
  /** Per cluster, the batch being taken: one at a time, so two pushes cannot interleave their events. */
  private readonly queues = new Map<string, Promise<unknown>>();

  /**
   * `admit` starts a new cluster's runner the way Clusters does: at once when the hub runs alone; with hub
   * replicas, by the lease rounds (a runner started outside a lease on the registering replica answered the
   * agent there, while the replica holding the lease heard nothing and called the agent silent).
   */
  constructor(
    private readonly store: Store,
    private readonly fleet: Fleet,
    private readonly admit: (record: ClusterRecord) => Promise<void> = (record) => fleet.start(record),
  ) {}

  async register(
    input: { readonly name: string; readonly driftPolicy?: DriftPolicy },
    actor: Actor,
  ): Promise<{ record: ClusterRecord; token: string }> {
    const made = await mapStoreErrors(() =>
      this.store.transaction(async (tx) => {
        const created = await tx.agents.create(input);
        await tx.audit.record({
          actor,
          action: 'cluster.register',
          target: `cluster/${input.name}`,
          details: { mode: 'agent' },
        });
        return created;
      }),
    );
    await this.admit(made.cluster);
    this.fleet.publishSummary(made.cluster.name);
    return { record: made.cluster, token: made.plaintext };
  }

  /** A new agent token for the cluster (the old one stops working at once), audited. */
  async rotateToken(cluster: string, actor: Actor): Promise<string> {
    return mapStoreErrors(() =>
      this.store.transaction(async (tx) => {
        const token = await tx.agents.rotate(cluster);
        await tx.audit.record({ actor, action: 'cluster.agent-token', target: `cluster/${cluster}` });
        return token;
      }),
    );
  }

  /**
   * The desired state of the caller's cluster, for its agent. Polling it counts as a heartbeat (stored when
   * its token was verified, verifyAgentToken).
   */
  async desired(actor: Actor): Promise<AgentDesired> {
    const { runner } = await this.resolve(actor);
    runner.heard();
    return runner.document();
  }

  /**
   * A chart archive the caller's desired packs render from, as a stream read from the store as it is sent (a
   * reader that stalls holds one part of it, not the archive); NOT_FOUND for any other digest.
   */
  async chart(actor: Actor, digest: string): Promise<{ readonly size: number; readonly stream: Readable }> {
    const { agent, runner } = await this.resolve(actor);
    const blob = (await runner.wantsChart(digest)) ? await this.store.blobs.stream(digest) : undefined;
    if (blob === undefined) throw notFound('chart', `${digest} of cluster ${agent.cluster}`);
    return blob;
  }

  /** What the hub has stored of each pack of the caller's cluster, and where the agent's stream stands. */
  async statuses(
    actor: Actor,
  ): Promise<{ stream?: string; acked: number; packs: { pack: string; status: PackStatus }[] }> {
    const { agent } = await this.resolve(actor);
    const packs: { pack: string; status: PackStatus }[] = [];
    for (const stored of await this.store.packStatus.list(agent.cluster)) {
      // Without their event ids: a pack status on the wire has exactly PackStatus's fields (agents-protocol.ts).
      const transitions = (await this.store.history.transitions(agent.cluster, stored.pack)).map(
        ({ id: _id, ...transition }) => transition,
      );
      packs.push({ pack: stored.pack, status: toPackStatus(stored, transitions) });
    }
    return { ...(agent.stream === undefined ? {} : { stream: agent.stream }), acked: agent.lastSeq, packs };
  }

  /**
   * Takes a batch of the agent's runner events: those after the last one stored, in order, each handed to the
   * cluster's AgentRunner and written by the fleet's status writer before the batch is acknowledged. A batch
   * that does not start right after the last stored event (one was lost) is AGENT_SEQUENCE_GAP, naming the
   * event to resend from.
   */
  ingest(actor: Actor, batch: AgentBatch): Promise<AgentAck> {
    const key = actor.tokenId ?? '';
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.take(actor, batch));
    this.queues.set(key, next);
    void next
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  private async take(actor: Actor, batch: AgentBatch): Promise<AgentAck> {
    const { agent, runner } = await this.resolve(actor);
    runner.heard();
    const failuresBefore = this.fleet.writeFailures(agent.cluster);
    const stored = agent.stream === batch.stream ? agent.lastSeq : 0;
    const fresh = batch.events.filter((e) => e.seq > stored);
    // Only what would be stored counts against the agent's allowance: a batch sent again is not charged twice.
    // Bytes of UTF-8, not characters (review 11, item 6: 3-byte characters took 3 times the allowance).
    const bytes = fresh.length === 0 ? 0 : Buffer.byteLength(JSON.stringify(fresh.map((e) => e.event)));
    const wait = bytes === 0 ? undefined : runner.admitPush(bytes);
    if (wait !== undefined) {
      throw new HubError(
        HubErrorCode.AgentPushesTooFast,
        `cluster "${agent.cluster}": the agent pushed more events than the hub takes in a while ` +
          `(${AGENT_PUSH_LIMITS.bytesPerSecond / 1024} KiB/s after a burst of ` +
          `${AGENT_PUSH_LIMITS.burstBytes / 1024 / 1024} MiB, as JSON): send this batch again in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    }
    // The whole batch is checked before any of it is taken: a gap after its first events stores none of them.
    for (const [i, item] of fresh.entries()) {
      if (item.seq !== stored + i + 1) {
        throw new HubError(
          HubErrorCode.AgentSequenceGap,
          `cluster "${agent.cluster}": the agent's event ${item.seq} does not follow the last one stored ` +
            `(${stored + i} of stream ${batch.stream}): send again from event ${stored + 1}`,
        );
      }
    }
    let last = stored;
    for (const item of fresh) {
      runner.receive(item.event);
      last = item.seq;
    }
    if (fresh.length === 0 && agent.stream === batch.stream) return { acked: last };
    await this.fleet.flush();
    // The ack follows the durable write: a status write that failed meanwhile (it is only logged) means some of
    // these events may not be stored, so the agent keeps the batch and sends it again. Taking it again is
    // idempotent: the writer counts what it stored of each history, so no transition is added twice.
    if (this.fleet.writeFailures(agent.cluster) !== failuresBefore) throw notStored(agent.cluster);
    try {
      await this.store.agents.acknowledge(agent.id, batch.stream, last);
    } catch (error) {
      throw notStored(agent.cluster, error);
    }
    seenTimes(this.store).set(agent.id, Date.now());
    return { acked: last };
  }

  private async resolve(actor: Actor): Promise<{ agent: AgentRecord; runner: AgentRunner }> {
    const agent = actor.tokenId === undefined ? undefined : await this.store.agents.byId(actor.tokenId);
    if (!agent)
      throw new HubError(HubErrorCode.TokenNotFound, 'the agent token of this request no longer exists');
    const runner = this.fleet.has(agent.cluster) ? this.fleet.runtime(agent.cluster).runner : undefined;
    if (!(runner instanceof AgentRunner)) {
      throw new HubError(
        HubErrorCode.ClusterUnreachable,
        `cluster "${agent.cluster}" is not running on this hub yet: try again shortly`,
      );
    }
    return { agent, runner };
  }
}

function notStored(cluster: string, cause?: unknown): HubError {
  return new HubError(
    HubErrorCode.AgentBatchNotStored,
    `cluster "${cluster}": the hub could not store this batch of the agent's events (a database write ` +
      'failed; see the hub log): send it again',
    cause === undefined ? {} : { cause },
  );
}

/** The caller an agent token stands for; undefined when it is not one (or its cluster was removed). */
export async function verifyAgentToken(store: Store, plaintext: string): Promise<AgentCaller | undefined> {
  const agent = await store.agents.verify(plaintext);
  if (!agent) return undefined;
  await noteSeen(store, agent);
  return caller(agent);
}

function caller(agent: AgentRecord): AgentCaller {
  return {
    id: agent.id,
    name: `agent/${agent.cluster}`,
    role: 'agent',
    cluster: agent.cluster,
    createdAt: agent.createdAt,
    ...(agent.lastSeenAt === undefined ? {} : { lastUsedAt: agent.lastSeenAt }),
  };
}
