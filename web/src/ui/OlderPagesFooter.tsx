import type { OlderPages } from '../api/use-older-pages';
import { ErrorNote } from './ErrorNote';

/** Below a paged list: the last older-page load's error, if any, and the button that loads the next older page. */
export function OlderPagesFooter({
  older,
  what,
}: {
  older: OlderPages<unknown>;
  what: 'runs' | 'transitions';
}) {
  return (
    <>
      {older.error ? <ErrorNote error={older.error} /> : null}
      {older.more ? (
        <button
          type="button"
          className="button small ghost"
          onClick={older.loadOlder}
          disabled={older.loading}
          data-older={what}
        >
          {older.loading ? `Loading older ${what}…` : `Older ${what}`}
        </button>
      ) : null}
    </>
  );
}
