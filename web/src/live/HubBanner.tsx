import { formatTime } from '../time';
import { useStreamRefusal } from './hub-connection';

/**
 * The hub's stream has been down past the grace: a dead hub is not a small "Reconnecting…" beside colours
 * that look current. Every badge is marked as the last known meanwhile (the reducer does that).
 */
export function HubBanner({ since }: { since: string | undefined }) {
  const refusal = useStreamRefusal();
  if (since === undefined) return null;
  if (refusal !== undefined) {
    const seconds = Math.round(refusal.retryAfterMs / 1000);
    return (
      <div className="banner banner-error hub-banner" role="alert">
        <strong>Live updates refused by the hub</strong> since{' '}
        <time dateTime={since}>{formatTime(since)}</time>: {refusal.detail}. Showing the last known status,
        which may be out of date. {seconds > 0 ? `Retrying after ${seconds} s.` : 'Retrying…'}
      </div>
    );
  }
  return (
    <div className="banner banner-error hub-banner" role="alert">
      <strong>Hub unreachable</strong> since <time dateTime={since}>{formatTime(since)}</time>: showing the
      last known status, which may be out of date. Reconnecting…
    </div>
  );
}
