import { useState } from 'react';
import type { ResourceView } from '../api/types';
import { resourceStateDisplay, resourceStateSeverity } from '../api/display';
import { formatDateTime, formatTime } from '../time';

type Column = 'state' | 'kind' | 'name' | 'reason';
const columns: readonly { key: Column; label: string }[] = [
  { key: 'state', label: 'State' },
  { key: 'kind', label: 'Kind' },
  { key: 'name', label: 'Name' },
  { key: 'reason', label: 'Reason' },
];

const fullName = (r: ResourceView) => (r.ref.namespace ? `${r.ref.namespace}/${r.ref.name}` : r.ref.name);

function compare(a: ResourceView, b: ResourceView, column: Column): number {
  switch (column) {
    case 'state':
      // Most severe first: what is broken is what the user came to see.
      return resourceStateSeverity[b.state] - resourceStateSeverity[a.state];
    case 'kind':
      return a.ref.kind.localeCompare(b.ref.kind);
    case 'name':
      return fullName(a).localeCompare(fullName(b));
    case 'reason':
      return a.reason.localeCompare(b.reason) || a.message.localeCompare(b.message);
  }
}

/** Sorts by a column; ties keep install order. Default: state, failed first. */
export function sortResources(
  resources: readonly ResourceView[],
  column: Column,
  direction: 'ascending' | 'descending',
): ResourceView[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return resources
    .map((r, i) => ({ r, i }))
    .sort((x, y) => sign * compare(x.r, y.r, column) || x.i - y.i)
    .map(({ r }) => r);
}

export function ResourceTable({ resources }: { resources: readonly ResourceView[] }) {
  const [sort, setSort] = useState<{ column: Column; direction: 'ascending' | 'descending' }>({
    column: 'state',
    direction: 'ascending',
  });
  if (resources.length === 0)
    return <p className="muted">No resources yet (the pack has not been applied).</p>;
  const rows = sortResources(resources, sort.column, sort.direction);
  return (
    <table className="table resources-table">
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.key} scope="col" aria-sort={sort.column === c.key ? sort.direction : 'none'}>
              <button
                type="button"
                className="sort-button"
                onClick={() => {
                  setSort((s) =>
                    s.column === c.key
                      ? { column: c.key, direction: s.direction === 'ascending' ? 'descending' : 'ascending' }
                      : { column: c.key, direction: 'ascending' },
                  );
                }}
              >
                {c.label}
                <span aria-hidden="true" className="sort-mark">
                  {sort.column === c.key ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : ' ↕'}
                </span>
              </button>
            </th>
          ))}
        </tr>
      </thead>
      {rows.map((r) => (
        // One tbody per resource: its row and, under it at full width, its message (messages are long).
        <tbody
          key={`${r.ref.apiVersion}/${r.ref.kind}/${fullName(r)}`}
          data-state={r.state}
          className={`resource resource-${r.state.toLowerCase()}`}
        >
          <tr>
            <td className="resource-state">
              <span aria-hidden="true">{resourceStateDisplay[r.state].icon} </span>
              {r.state}
            </td>
            <td>
              {r.ref.kind}
              {r.hook ? <span className="muted"> (Helm hook)</span> : null}
            </td>
            <td className="mono">{fullName(r)}</td>
            <td>{r.reason}</td>
          </tr>
          {r.message ? (
            <tr className="resource-message-row">
              <td colSpan={columns.length} className="resource-message">
                {r.message}
              </td>
            </tr>
          ) : null}
          {r.events && r.events.length > 0 ? (
            <tr className="resource-events-row">
              <td colSpan={columns.length}>
                <details className="resource-events">
                  <summary>
                    {r.events.length} recent warning event{r.events.length === 1 ? '' : 's'}
                  </summary>
                  <ul>
                    {r.events.map((e) => (
                      <li key={`${e.object}/${e.reason}`}>
                        <span className="mono">{e.object}</span> <strong>{e.reason}</strong>
                        {e.count > 1 ? <span className="muted"> ×{e.count}</span> : null}
                        {e.time ? (
                          <span className="muted">
                            {' '}
                            <time dateTime={e.time} title={formatDateTime(e.time)}>
                              {formatTime(e.time)}
                            </time>
                          </span>
                        ) : null}
                        : {e.message}
                      </li>
                    ))}
                  </ul>
                </details>
              </td>
            </tr>
          ) : null}
        </tbody>
      ))}
    </table>
  );
}
