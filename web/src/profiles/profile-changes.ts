// What the Profiles page must fetch again after a stream event, as a pure function (style.md rule 5): the
// stream carries no profile document, only that something changed (a version published, an attachment added,
// changed or removed, a cluster removed), so the page keeps a revision per profile and refetches what a
// revision bumped. The last shown value stays on screen while the new one loads: no flicker.
import type { StreamEvent } from '../api/types';
import { assertNever } from '../../../src/shared/assert-never';
import type { LiveInput } from '../live/reducer';

export interface ProfileRevisions {
  /** Bumped by what changes every profile (a cluster removed, the hub back after a drop). */
  readonly all: number;
  /** Bumped when the profile list's summaries change (a version published anywhere). */
  readonly list: number;
  /** Per profile: bumped by its versions and its attachments. */
  readonly byProfile: Readonly<Record<string, number>>;
  /** The hub cannot be reached since then: what the page shows may be out of date. */
  readonly hubDownSince?: string;
}

export const noRevisions: ProfileRevisions = { all: 0, list: 0, byProfile: {} };

/** The revision a profile's detail is fetched at: it changes whenever that profile may have changed. */
export function revisionOf(state: ProfileRevisions, profile: string): string {
  return `${state.all}.${state.byProfile[profile] ?? 0}`;
}

const bump = (state: ProfileRevisions, profile: string, list = false): ProfileRevisions => ({
  ...state,
  ...(list ? { list: state.list + 1 } : {}),
  byProfile: { ...state.byProfile, [profile]: (state.byProfile[profile] ?? 0) + 1 },
});

export function applyProfileEvent(state: ProfileRevisions, event: LiveInput): ProfileRevisions {
  if (event.kind === 'hub.connection') {
    if (!event.connected) {
      if (state.hubDownSince !== undefined) return state;
      return { ...state, hubDownSince: event.since ?? new Date().toISOString() };
    }
    // Back after a drop: profile events are not replayed (they carry no id), so fetch everything again.
    const { hubDownSince: _since, ...rest } = state;
    return { ...rest, all: state.all + 1, list: state.list + 1 };
  }
  return applyStreamEvent(state, event);
}

function applyStreamEvent(state: ProfileRevisions, event: StreamEvent): ProfileRevisions {
  switch (event.kind) {
    case 'profile.published':
      return bump(state, event.data.name, true);
    case 'attachment.changed':
    case 'attachment.removed':
      return bump(state, event.data.profile);
    case 'cluster.removed': // its attachments go with it
      return { ...state, all: state.all + 1 };
    case 'pack.status':
    case 'pack.transition':
    case 'pack.removed':
    case 'pack.drift':
    case 'cluster.registered':
    case 'cluster.updated':
    case 'cluster.connection':
    case 'cluster.summary':
    case 'history.pruned': // retention deletes pack statuses and transitions: nothing this page fetches
      return state;
    default:
      return assertNever(event);
  }
}
