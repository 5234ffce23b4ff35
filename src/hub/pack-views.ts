// The Cluster Profile page's pack views kept between reads (issue 15, "Fast reads"): a pack's view is built again
// only when something it shows changed. Statuses are immutable (the reducer returns a new object on each change,
// the same one otherwise), so a status, its desired pack and its drift, compared by reference, and its resources'
// recent Warning events (read live from the watch cache, so compared by value), say whether the view kept from
// the last read is still the one to show.
import type { DesiredPack } from '../engine/index.js';
import { refKey, type ObjectRef, type PackStatus } from '../status/index.js';
import { packView, unreadableStatus } from './present.js';
import type { ClusterPage, DriftView, PackView, WarningEventView } from './views.js';

interface Kept {
  readonly desired: DesiredPack;
  readonly stale: boolean;
  readonly drift: DriftView | undefined;
  readonly warnings: string;
  readonly view: PackView;
  /** The status could not be shown: the view says so, whatever else changes. */
  readonly unreadable?: true;
}

export class PackViews {
  private readonly kept = new WeakMap<PackStatus, Kept>();
  private readonly pages = new Map<string, ClusterPage>();

  view(
    desired: DesiredPack,
    status: PackStatus,
    stale: boolean,
    drift: DriftView | undefined,
    warnings: (ref: ObjectRef) => readonly WarningEventView[] = () => [],
  ): PackView {
    const kept = this.kept.get(status);
    if (kept?.unreadable === true) return kept.view;
    try {
      return this.build(desired, status, stale, drift, warnings, kept);
    } catch (error) {
      // A status the page cannot show must not take the whole cluster page down: the pack says what went wrong.
      const view = packView(desired, unreadableStatus(status, error), stale, drift);
      this.kept.set(status, { desired, stale, drift, warnings: '', view, unreadable: true });
      return view;
    }
  }

  private build(
    desired: DesiredPack,
    status: PackStatus,
    stale: boolean,
    drift: DriftView | undefined,
    warnings: (ref: ObjectRef) => readonly WarningEventView[],
    kept: Kept | undefined,
  ): PackView {
    const byRef = new Map(status.resources.map((r) => [refKey(r.ref), warnings(r.ref)]));
    const shown = JSON.stringify([...byRef.values()]);
    if (
      kept &&
      kept.desired === desired &&
      kept.stale === stale &&
      kept.drift === drift &&
      kept.warnings === shown
    )
      return kept.view;
    const view = packView(desired, status, stale, drift, (ref) => byRef.get(refKey(ref)) ?? []);
    this.kept.set(status, { desired, stale, drift, warnings: shown, view });
    return view;
  }

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
}
