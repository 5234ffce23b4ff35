// What a cluster's packs look like and what an operator can do to them: the Cluster Profile page, each pack's
// history and resolved values (sensitive values masked), retry and resync.
import type { PackTransition } from '../status/index.js';
import type { Store } from '../store/index.js';
import type { Attachments } from './attachments.js';
import type { Actor } from './config.js';
import { notFound } from './errors.js';
import type { ClusterRuntime, Fleet } from './fleet.js';
import { Kept, type ReadVersions } from './kept-reads.js';
import { PackViews } from './pack-views.js';
import { ValuesText } from './values-text.js';
import type { ClusterPage, PackValuesView } from './views.js';

export class Packs {
  private readonly views = new PackViews();
  private readonly pages = new Kept<ClusterPage>();
  private readonly valuesText = new ValuesText();

  constructor(
    private readonly store: Store,
    private readonly fleet: Fleet,
    private readonly attachments: Attachments,
    private readonly versions: ReadVersions,
  ) {}

  /** The page as last built while nothing on it changed since (kept-reads.ts), else built again. */
  async clusterPage(cluster: string): Promise<ClusterPage> {
    const runtime = this.fleet.runtime(cluster);
    return this.pages.get(cluster, this.versions.page(cluster, runtime), () => this.buildPage(runtime));
  }

  private async buildPage(runtime: ClusterRuntime): Promise<ClusterPage> {
    const cluster = runtime.record.name;
    const packs = runtime.runner.statuses().flatMap((s) => {
      const desired = runtime.known.get(s.pack);
      return desired
        ? [
            this.views.view(desired, s.status, s.stale, runtime.drift.get(s.pack), (ref) =>
              runtime.runner.recentWarnings(ref),
            ),
          ]
        : [];
    });
    const page = {
      cluster: await this.fleet.clusterView(runtime.record),
      attachments: await this.attachments.list(cluster),
      packs,
    };
    return this.views.samePage(cluster, page);
  }

  async history(cluster: string, pack: string): Promise<PackTransition[]> {
    const runtime = this.fleet.runtime(cluster);
    if (!runtime.known.has(pack)) throw notFound('pack', `${cluster}/${pack}`);
    const desired = runtime.known.get(pack);
    const transitions = await this.store.history.transitions(cluster, pack);
    return transitions.map((t) => (desired ? { ...t, message: desired.redactor.redact(t.message) } : t));
  }

  /** Every pack's transitions, packs in install order, oldest first: the install timeline. */
  async clusterTransitions(cluster: string): Promise<{ pack: string; transitions: PackTransition[] }[]> {
    const runtime = this.fleet.runtime(cluster);
    const byPack = new Map<string, PackTransition[]>();
    const packs = [...runtime.known.values()].sort((a, b) => a.order - b.order);
    for (const d of packs) byPack.set(d.pack.name, []);
    for (const { id: _id, pack, ...t } of await this.store.history.clusterTransitions(cluster)) {
      const redactor = runtime.known.get(pack)?.redactor;
      if (redactor) byPack.get(pack)?.push({ ...t, message: redactor.redact(t.message) });
    }
    return [...byPack].map(([pack, transitions]) => ({ pack, transitions }));
  }

  /**
   * What the pack deploys with, resolved for this cluster, sensitive values masked. Its YAML text is written
   * off the event loop when large and kept while the pack is unchanged (values-text.ts).
   */
  async values(cluster: string, pack: string): Promise<PackValuesView> {
    const runtime = this.fleet.runtime(cluster);
    const desired = runtime.known.get(pack);
    if (!desired) throw notFound('pack', `${cluster}/${pack}`);
    return this.valuesText.view(`${cluster}/${pack}`, desired, runtime.runner.notes(pack));
  }

  async retry(cluster: string, pack: string, actor: Actor): Promise<void> {
    const runtime = this.fleet.runtime(cluster);
    if (!runtime.runner.retryPack(pack)) throw notFound('pack', `${cluster}/${pack}`);
    await this.store.audit.record({ actor, action: 'pack.retry', target: `cluster/${cluster}/pack/${pack}` });
  }

  async resync(cluster: string, actor: Actor): Promise<void> {
    const runtime = this.fleet.runtime(cluster);
    runtime.runner.resync();
    await this.store.audit.record({ actor, action: 'cluster.resync', target: `cluster/${cluster}` });
  }
}
