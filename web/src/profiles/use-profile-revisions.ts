// The Profiles page on the live stream: each event that may change a profile bumps its revision (see
// profile-changes.ts), and the page's fetches depend on those revisions.
import { useCallback, useReducer } from 'react';
import type { Api } from '../api/client';
import { useHubConnection } from '../live/hub-connection';
import { applyProfileEvent, noRevisions, type ProfileRevisions } from './profile-changes';

export function useProfileRevisions(api: Api): ProfileRevisions {
  const [state, dispatch] = useReducer(applyProfileEvent, noRevisions);
  const onHub = useCallback((connected: boolean, since: string | undefined) => {
    dispatch({ kind: 'hub.connection', connected, ...(since === undefined ? {} : { since }) });
  }, []);
  // The page fetches on its own at mount; the stream only says when to fetch again.
  useHubConnection({ api, onEvent: dispatch, onHub, onOpen: noop });
  return state;
}

function noop(): void {}
