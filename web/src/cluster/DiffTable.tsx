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

export function DiffTable({ diff }: { diff: readonly PackDiff[] }) {
  if (diff.length === 0) return <p className="muted">No packs.</p>;
  return (
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
        {diff.map((d) => (
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
  );
}
