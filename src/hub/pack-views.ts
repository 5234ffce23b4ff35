// The Cluster Profile page's pack views kept between reads (issue 15, "Fast reads"): a pack's view is built again
// only when something it shows changed. Statuses are immutable (the reducer returns a new object on each change,
// the same one otherwise), so a status, its desired pack and its drift, compared by reference, say whether the
// view kept from the last read is still the one to show; a page read is then a lookup per pack.
import type { DesiredPack } from '../engine/index.js';
import type { PackStatus } from '../status/index.js';
import { packView } from './present.js';
import type { DriftView, PackView } from './views.js';

interface Kept {
  readonly desired: DesiredPack;
  readonly stale: boolean;
  readonly drift: DriftView | undefined;
  readonly view: PackView;
}

export class PackViews {
  private readonly kept = new WeakMap<PackStatus, Kept>();

  view(desired: DesiredPack, status: PackStatus, stale: boolean, drift: DriftView | undefined): PackView {
    const kept = this.kept.get(status);
    if (kept && kept.desired === desired && kept.stale === stale && kept.drift === drift) return kept.view;
    const view = packView(desired, status, stale, drift);
    this.kept.set(status, { desired, stale, drift, view });
    return view;
  }
}
