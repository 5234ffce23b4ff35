// Pack views on a replica that does not drive the cluster (issue 16). A `pack.status` event carries the pack as
// the page shows it, which needs the pack's place in the install order and its redactor: the driving replica
// has them in its runtime, the others plan the cluster from the store (its attachments and stored profile
// versions, as the driver did) and keep the plan a few seconds. Nothing here reaches the cluster.
import type { DesiredPack } from '../engine/index.js';
import { EventKind, type StoredEvent } from '../store/index.js';
import type { Planner } from './planner.js';
import type { PackContext } from './stream-events.js';

/** How long a plan is reused before an event of the cluster plans it again (an attachment may have changed). */
const PLAN_TTL_MS = 5000;

interface CachedPlan {
  readonly packs: ReadonlyMap<string, DesiredPack>;
  readonly at: number;
}

export class RemotePlans {
  private readonly plans = new Map<string, CachedPlan>();

  constructor(
    private readonly planner: Planner,
    /** Whether this replica drives the cluster (then the fleet has the views). */
    private readonly drives: (cluster: string) => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Plans the clusters of these events that this replica does not drive, where the plan is old or lacks a pack. */
  async prepare(events: readonly StoredEvent[]): Promise<void> {
    const stale = new Set<string>();
    for (const event of events) {
      if (this.drives(event.cluster)) continue;
      if (event.kind === EventKind.ClusterRemoved) {
        this.plans.delete(event.cluster);
        continue;
      }
      if (event.kind !== EventKind.PackStatus && event.kind !== EventKind.PackTransition) continue;
      const plan = this.plans.get(event.cluster);
      if (!plan || this.now() - plan.at > PLAN_TTL_MS || !plan.packs.has(event.pack))
        stale.add(event.cluster);
    }
    for (const cluster of stale) {
      try {
        const { desired } = await this.planner.plan(cluster);
        this.plans.set(cluster, { packs: new Map(desired.map((d) => [d.pack.name, d])), at: this.now() });
      } catch {
        // Its profiles no longer fit or its cluster is gone: its packs are sent unplaced, as a driver would.
        this.plans.delete(cluster);
      }
    }
  }

  /** The pack's place and redactor as planned; stale is the driver's to say (ClusterView.reachable). */
  context(cluster: string, pack: string): PackContext | undefined {
    const desired = this.plans.get(cluster)?.packs.get(pack);
    return desired && { desired, stale: false };
  }

  /** Every planned pack of the cluster, in install order (undefined: not planned). */
  packs(cluster: string): DesiredPack[] | undefined {
    const plan = this.plans.get(cluster);
    return plan && [...plan.packs.values()].sort((a, b) => a.order - b.order);
  }
}
