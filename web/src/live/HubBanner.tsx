import { formatTime } from '../time';

/**
 * The hub's stream has been down past the grace: a dead hub is not a small "Reconnecting…" beside colours
 * that look current. Every badge is marked as the last known meanwhile (the reducer does that).
 */
export function HubBanner({ since }: { since: string | undefined }) {
  if (since === undefined) return null;
  return (
    <div className="banner banner-error hub-banner" role="alert">
      <strong>Hub unreachable</strong> since <time dateTime={since}>{formatTime(since)}</time>: showing the
      last known status, which may be out of date. Reconnecting…
    </div>
  );
}
