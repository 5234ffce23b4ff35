import { packPhaseDisplay, phaseConditions, phaseMeaning, phases } from '../api/display';
import { StatusBadge } from '../ui/StatusBadge';

/** The legend is pack-status.md's table, as it stands: colour, phase, condition types, meaning. */
export function Legend() {
  return (
    <details className="legend">
      <summary>
        <span className="legend-title">Legend</span>
        <span className="legend-inline">
          {phases.map((p) => (
            <StatusBadge key={p} phase={p} size="small" />
          ))}
        </span>
        <span className="muted">what each colour means</span>
      </summary>
      <table className="table legend-table">
        <thead>
          <tr>
            <th scope="col">colour</th>
            <th scope="col">phase</th>
            <th scope="col">condition types</th>
            <th scope="col">meaning</th>
          </tr>
        </thead>
        <tbody>
          {phases.map((p) => (
            <tr key={p}>
              <td>
                <StatusBadge phase={p} size="small" />{' '}
                <span className="muted">{packPhaseDisplay[p].color}</span>
              </td>
              <td>
                <code>{p}</code>
              </td>
              <td>
                {phaseConditions(p).map((c) => (
                  <code key={c} className="condition">
                    {c}
                  </code>
                ))}
              </td>
              <td>{phaseMeaning[p]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
