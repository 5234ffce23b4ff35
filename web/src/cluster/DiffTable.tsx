import type { PackDiff } from '../api/types';

const changeMark: Record<PackDiff['change'], string> = {
  added: '+',
  removed: '−',
  changed: '~',
  unchanged: '=',
};

export function DiffTable({ diff }: { diff: readonly PackDiff[] }) {
  if (diff.length === 0) return <p className="muted">No packs.</p>;
  return (
    <table className="table diff-table">
      <thead>
        <tr>
          <th scope="col">Change</th>
          <th scope="col">Pack</th>
          <th scope="col">Profile</th>
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
          </tr>
        ))}
      </tbody>
    </table>
  );
}
