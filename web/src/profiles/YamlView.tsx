import type { ProfileIssue } from '../api/types';

/** Issues by the line they point at; issues without a usable line go to line 0 (shown above the text). */
export function issuesByLine(
  issues: readonly ProfileIssue[],
  lineCount: number,
): Map<number, ProfileIssue[]> {
  const map = new Map<number, ProfileIssue[]>();
  for (const issue of issues) {
    const line = issue.line >= 1 && issue.line <= lineCount ? issue.line : 0;
    const list = map.get(line);
    if (list) list.push(issue);
    else map.set(line, [issue]);
  }
  return map;
}

/**
 * The YAML with line numbers, and each issue right under the line it is about, pointing at its column.
 * The box scrolls (long files), so it is a named region in the tab order: keyboard users scroll it with the
 * arrow keys (WCAG 2.1.1; axe's scrollable-region-focusable).
 */
export function YamlView({
  yaml,
  issues = [],
  label = 'YAML document',
}: {
  yaml: string;
  issues?: readonly ProfileIssue[];
  /** The region's accessible name, e.g. "platform-tools v0.3.0 (YAML)". */
  label?: string;
}) {
  const lines = yaml.replace(/\n$/, '').split('\n');
  const byLine = issuesByLine(issues, lines.length);
  const unplaced = byLine.get(0) ?? [];
  return (
    <div className="yaml" role="region" aria-label={label} tabIndex={0}>
      {unplaced.map((issue, i) => (
        <IssueNote key={`0-${String(i)}`} issue={issue} />
      ))}
      <ol className="yaml-lines">
        {lines.map((text, i) => {
          const n = i + 1;
          const here = byLine.get(n);
          return (
            <li key={n} className={here ? 'yaml-line has-issue' : 'yaml-line'} data-line={n}>
              <span className="yaml-num" aria-hidden="true">
                {n}
              </span>
              <code className="yaml-text">{text === '' ? ' ' : text}</code>
              {here?.map((issue, j) => (
                <IssueNote key={j} issue={issue} />
              ))}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

function IssueNote({ issue }: { issue: ProfileIssue }) {
  return (
    <div className="yaml-issue" role="note" data-issue-line={issue.line}>
      {issue.column > 0 ? (
        // A caret under the column, as a compiler prints it: the note sits in the same column as the text.
        <code className="yaml-caret" aria-hidden="true">
          {' '.repeat(Math.max(0, issue.column - 1))}^
        </code>
      ) : null}
      <span className="yaml-issue-text">
        <span aria-hidden="true">✗ </span>
        <span className="visually-hidden">Error at line {issue.line}: </span>
        <span className="muted">
          line {issue.line}
          {issue.column > 0 ? `:${String(issue.column)}` : ''}
          {issue.path ? ` ${issue.path}` : ''}:
        </span>{' '}
        {issue.message}
      </span>
    </div>
  );
}
