import { useState } from 'react';
import { enc } from '../api/client';
import type { AttachmentView, OutdatedChart } from '../api/types';
import { useSession } from '../session-context';
import { ErrorNote } from '../ui/ErrorNote';

/**
 * "Chart updates": asks the chart sources, on request (each check is a call to every repository or registry
 * the version's remote charts come from), whether they have newer versions than the ones the attached version
 * pinned. A newer chart needs a new profile version; this only says so.
 */
export function ChartUpdates({ attachment: a }: { attachment: AttachmentView }) {
  const { api } = useSession();
  const [charts, setCharts] = useState<readonly OutdatedChart[]>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const check = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setCharts(
        await api.get<OutdatedChart[]>(`/profiles/${enc(a.profile)}/versions/${enc(a.version)}/outdated`),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (charts === undefined)
    return (
      <>
        {' '}
        <button type="button" className="button small ghost" onClick={() => void check()} disabled={busy}>
          Check chart versions
        </button>
        {error ? <ErrorNote error={error} /> : null}
      </>
    );
  const newer = charts.filter((c) => c.newer.length > 0);
  const failed = charts.filter((c) => c.error !== undefined);
  return (
    <>
      {' '}
      <span role="status" className={newer.length > 0 ? 'update-chip' : 'muted'}>
        {charts.length === 0
          ? 'No remote charts'
          : newer.length === 0 && failed.length === 0
            ? 'Charts up to date'
            : newer
                .map((c) => `${c.pack}: chart ${c.version} → ${c.newer.at(-1) ?? ''} in the source`)
                .join('; ')}
      </span>
      {failed.map((c) => (
        <ErrorNote key={c.pack} error={`${c.pack}: ${c.chart} could not be checked: ${c.error ?? ''}`} />
      ))}
    </>
  );
}
