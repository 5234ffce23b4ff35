import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import { formatRef, type RelatedObjects } from '../status/index.js';
import { keptText } from '../shared/kept-text.js';

/** One recent Warning event about an object a pack owns or one it controls, for the pack detail page. */
export interface RecentWarning {
  /** `Pod web/api-7d9-x`: the object the event is about. */
  readonly object: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  /** ISO-8601, when last seen. */
  readonly time?: string;
}

/** At most this many per resource: the page shows what matters, not a log. */
export const MAX_RECENT_WARNINGS = 5;

/**
 * The Warning events of `live` and of what it controls (its ReplicaSets and their pods, its pods), newest
 * first, bounded. These are the events src/status/root-cause.ts picks one cause from; the page lists them all.
 */
export function recentWarnings(live: KubernetesObject | undefined, related: RelatedObjects): RecentWarning[] {
  const uid = live?.metadata?.uid;
  if (live === undefined || uid === undefined || related.warningEventsFor === undefined) return [];
  const eventsFor = related.warningEventsFor.bind(related);
  const all: RecentWarning[] = [];
  // Labelled only when it has events: this runs for every resource of a pack on each of its status events,
  // and most objects have none (issue 15: a label string and arrays per resource per event).
  const add = (obj: KubernetesObject, subjectUid: string, kind: string) => {
    const events = eventsFor(subjectUid);
    if (events.length === 0) return;
    const shown = label(obj, kind);
    for (const e of events) all.push(toWarning(shown, e));
  };
  add(live, uid, live.kind ?? '');
  for (const rs of related.replicaSetsOwnedBy(uid)) {
    if (rs.metadata?.uid === undefined) continue;
    add(rs, rs.metadata.uid, 'ReplicaSet');
    for (const pod of related.podsOwnedBy(rs.metadata.uid)) {
      if (pod.metadata?.uid !== undefined) add(pod, pod.metadata.uid, 'Pod');
    }
  }
  for (const pod of related.podsOwnedBy(uid)) {
    if (pod.metadata?.uid !== undefined) add(pod, pod.metadata.uid, 'Pod');
  }
  if (all.length === 0) return all;
  return all.sort((a, b) => (b.time ?? '').localeCompare(a.time ?? '')).slice(0, MAX_RECENT_WARNINGS);
}

function label(obj: KubernetesObject, kind: string): string {
  return formatRef({
    kind,
    name: obj.metadata?.name ?? '',
    ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
  });
}

function toWarning(object: string, e: CoreV1Event): RecentWarning {
  // Watch JSON carries times as strings; the client's type says Date.
  const raw: unknown = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
  const time = raw instanceof Date ? raw.toISOString() : typeof raw === 'string' ? raw : undefined;
  return {
    object,
    // The cluster's words, listed on the page: without terminal controls, and bounded (shared/kept-text.ts).
    reason: keptText(e.reason ?? ''),
    message: keptText(e.message ?? ''),
    count: e.count ?? e.series?.count ?? 1,
    ...(time === undefined ? {} : { time }),
  };
}
