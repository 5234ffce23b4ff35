import { enc } from '../api/client';
import { formatPackReason } from '../api/display';
import type { PackHistory, PackTransition } from '../api/types';
import { useApiGet } from '../api/use-api-get';
import { useOlderPages } from '../api/use-older-pages';
import { formatDateTime, formatTime } from '../time';
import { ErrorNote } from '../ui/ErrorNote';
import { StatusBadge } from '../ui/StatusBadge';

const transitionsOf = (page: PackHistory) => ({
  items: page.transitions,
  ...(page.next === undefined ? {} : { next: page.next }),
});

/**
 * A pack's phase transitions, newest first: the newest page (100), read again when the phase changes, and older
 * pages one at a time ("Older transitions", following the route's `next` cursor) as `strata pack history
 * --before` reads them.
 */
export function TransitionList({ cluster, pack, phase }: { cluster: string; pack: string; phase: string }) {
  const path = `/clusters/${enc(cluster)}/packs/${enc(pack)}/history`;
  const { value: newest, error } = useApiGet<PackHistory>(path, phase);
  const older = useOlderPages(path, newest, transitionsOf);
  const history: readonly PackTransition[] | undefined =
    newest === undefined ? undefined : [...older.items, ...newest.transitions];

  return (
    <>
      <h3>Transitions</h3>
      {error ? <ErrorNote error={error} /> : null}
      {history === undefined ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : history.length === 0 ? (
        <p className="muted">No transitions yet.</p>
      ) : (
        <ol className="transitions">
          {[...history].reverse().map((t, i) => (
            <li key={`${t.time}-${String(history.length - i)}`}>
              <time dateTime={t.time} title={formatDateTime(t.time)}>
                {formatTime(t.time)}
              </time>
              <span className="transition-phases">
                <StatusBadge phase={t.from} size="small" />
                <span aria-hidden="true"> → </span>
                <span className="visually-hidden">to</span>
                <StatusBadge phase={t.to} size="small" />
              </span>
              {/* The CLI's words (`strata pack history`): the condition once, the cause once, the message. */}
              <div className="transition-message">
                {formatPackReason({
                  phase: t.to,
                  condition: t.condition,
                  reason: t.reason,
                  message: t.message,
                })}
              </div>
            </li>
          ))}
        </ol>
      )}
      {older.error ? <ErrorNote error={older.error} /> : null}
      {older.more ? (
        <button
          type="button"
          className="button small ghost"
          onClick={older.loadOlder}
          disabled={older.loading}
          data-older="transitions"
        >
          {older.loading ? 'Loading older transitions…' : 'Older transitions'}
        </button>
      ) : null}
    </>
  );
}
