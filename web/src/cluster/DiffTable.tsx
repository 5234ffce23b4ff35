import type { PackDiff } from '../api/types';

const changeMark: Record<PackDiff['change'], string> = {
  added: '+',
  removed: '−',
  changed: '~',
  unchanged: '=',
};

/** `1.0.0 → 1.1.0`, or the one version an added or removed pack has. */
function versionText(d: PackDiff): string {
  if (d.fromVersion !== undefined && d.toVersion !== undefined) return `${d.fromVersion} → ${d.toVersion}`;
  return d.toVersion ?? d.fromVersion ?? '';
}

/**
 * The packs that change, in install order, each with what changes; the unchanged ones folded into one line,
 * so the change stands out on a cluster of 200 packs.
 */
export function DiffTable({ diff }: { diff: readonly PackDiff[] }) {
  if (diff.length === 0) return <p className="muted">No packs.</p>;
  const changing = diff.filter((d) => d.change !== 'unchanged');
  const unchanged = diff.filter((d) => d.change === 'unchanged');
  return (
    <>
      {changing.length === 0 ? (
        <p className="muted">No pack changes.</p>
      ) : (
        <table className="table diff-table">
          <thead>
            <tr>
              <th scope="col">Change</th>
              <th scope="col">Pack</th>
              <th scope="col">Profile</th>
              <th scope="col">Version</th>
              <th scope="col">What changes</th>
            </tr>
          </thead>
          <tbody>
            {changing.map((d) => (
              <tr key={`${d.profile}/${d.pack}`} className={`diff-${d.change}`} data-change={d.change}>
                <td>
                  <span aria-hidden="true" className="diff-mark">
                    {changeMark[d.change]}
                  </span>{' '}
                  {d.change}
                </td>
                <td>{d.pack}</td>
                <td>{d.profile}</td>
                <td>{versionText(d)}</td>
                <td>
                  {d.changes && d.changes.length > 0 ? (
                    <ul className="diff-changes">
                      {d.changes.map((c) => (
                        <li key={c}>
                          <code>{c}</code>
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {unchanged.length > 0 ? (
        <details className="diff-unchanged">
          <summary>
            <span aria-hidden="true" className="diff-mark">
              {changeMark.unchanged}
            </span>{' '}
            {unchanged.length} unchanged {unchanged.length === 1 ? 'pack' : 'packs'}
          </summary>
          <ul>
            {unchanged.map((d) => (
              <li key={`${d.profile}/${d.pack}`} data-change="unchanged">
                {d.pack} <span className="muted">({d.profile})</span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}
