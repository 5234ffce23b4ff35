// The live stream as a page holds it: events to the page's reducer, and the hub's own reachability. A drop
// shorter than the grace (a proxy recycling the connection) is not worth a banner; past it the page says the
// hub is unreachable and marks every badge as the last known, until the stream is back. When the hub answered
// and refused the stream (too many streams open), the banner says that instead, in the hub's words.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Api } from '../api/client';
import { openStream } from '../api/stream';
import type { StreamEvent } from '../api/types';

/** How long a dropped stream may stay down before the page says the hub is unreachable. */
export const HUB_GRACE_MS = 2_000;

export interface HubConnectionOptions {
  readonly api: Api;
  /** Only this cluster's events; all when absent. */
  readonly cluster?: string;
  readonly onEvent: (event: StreamEvent) => void;
  /**
   * The hub lost (after the grace; `since` is when the stream dropped) or back after any drop (the page
   * fetches what the replay does not carry).
   */
  readonly onHub: (connected: boolean, since: string | undefined) => void;
  /** Once, when the stream is opened: fetch the page (events meanwhile are replayed over it). */
  readonly onOpen: () => void;
}

/** Why the hub refused the page's live stream, while it does; undefined while it is not refusing. */
export interface StreamRefusal {
  readonly detail: string;
  readonly retryAfterMs: number;
}

let refusal: StreamRefusal | undefined;
const refusalListeners = new Set<() => void>();

function setRefusal(next: StreamRefusal | undefined): void {
  if (refusal === next) return;
  refusal = next;
  for (const listener of refusalListeners) listener();
}

/** The hub's reason for refusing the live stream, for the banner (one stream per page, so one reason). */
export function useStreamRefusal(): StreamRefusal | undefined {
  return useSyncExternalStore(
    (listener) => {
      refusalListeners.add(listener);
      return () => refusalListeners.delete(listener);
    },
    () => refusal,
  );
}

/** Opens the stream for the component's life; returns whether it is connected now. */
export function useHubConnection(options: HubConnectionOptions): boolean {
  const [live, setLive] = useState(false);
  // The callbacks change identity with the page's state; the stream must not reopen for that.
  const latest = useRef(options);
  latest.current = options;
  const { api, cluster } = options;

  useEffect(() => {
    let grace: ReturnType<typeof setTimeout> | undefined;
    let droppedAt: string | undefined;
    const close = openStream({
      token: api.token,
      ...(cluster === undefined ? {} : { cluster }),
      onEvent: (event) => {
        latest.current.onEvent(event);
      },
      onRefused: (detail, retryAfterMs) => {
        setRefusal({ detail, retryAfterMs });
      },
      onConnection: (connected, resumed) => {
        setLive(connected);
        if (connected) {
          setRefusal(undefined);
          clearTimeout(grace);
          grace = undefined;
          // Back after a drop, or connected for the first time after the page said the hub was down (a
          // first attempt refused or failed): either way the banner goes and the page is fetched again.
          if (resumed || droppedAt !== undefined) latest.current.onHub(true, undefined);
          droppedAt = undefined;
          return;
        }
        if (droppedAt !== undefined) return; // Still retrying the same drop.
        const since = new Date().toISOString();
        droppedAt = since;
        grace = setTimeout(() => {
          latest.current.onHub(false, since);
        }, HUB_GRACE_MS);
      },
    });
    latest.current.onOpen();
    return () => {
      clearTimeout(grace);
      setRefusal(undefined);
      close();
    };
  }, [api, cluster]);

  return live;
}
