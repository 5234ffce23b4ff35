// The Cluster Profile page's pack views kept between reads (issue 15, "Fast reads"): a pack's view is built again
// only when something it shows changed. Statuses are immutable (the reducer returns a new object on each change,
// the same one otherwise), so a status, its desired pack and its drift, compared by reference, say whether the
// view kept from the last read is still the one to show; a page read is then a lookup per pack.
import type { DesiredPack } from '../engine/index.js';
import type { PackStatus } from '../status/index.js';
import { packView } from './present.js';
import type { ClusterPage, DriftView, PackView } from './views.js';

interface Kept {
  readonly desired: DesiredPack;
  readonly stale: boolean;
  readonly drift: DriftView | undefined;
  readonly view: PackView;
}

export class PackViews {
  private readonly kept = new WeakMap<PackStatus, Kept>();
  private readonly pages = new Map<string, ClusterPage>();

  /**
   * The page last returned for the cluster when nothing on it changed (the same pack views, an equal cluster
   * and attachment list), else `page`: an unchanged page is the same object, so the server serializes and
   * tags it once (src/server/etag.ts) rather than on every read.
   */
  samePage(cluster: string, page: ClusterPage): ClusterPage {
    const last = this.pages.get(cluster);
    if (
      last &&
      last.packs.length === page.packs.length &&
      last.packs.every((view, i) => view === page.packs[i]) &&
      JSON.stringify(last.cluster) === JSON.stringify(page.cluster) &&
      JSON.stringify(last.attachments) === JSON.stringify(page.attachments)
    )
      return last;
    this.pages.set(cluster, page);
    return page;
  }

  view(desired: DesiredPack, status: PackStatus, stale: boolean, drift: DriftView | undefined): PackView {
    const kept = this.kept.get(status);
    if (kept && kept.desired === desired && kept.stale === stale && kept.drift === drift) return kept.view;
    const view = packView(desired, status, stale, drift);
    this.kept.set(status, { desired, stale, drift, view });
    return view;
  }
}
