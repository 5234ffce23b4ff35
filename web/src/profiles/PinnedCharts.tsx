// The remote charts a version pinned when it was published: what it renders, by digest, without contacting
// the repository or registry again (issue 13).
export function PinnedCharts({ charts }: { charts: Readonly<Record<string, string>> | undefined }) {
  const entries = Object.entries(charts ?? {});
  if (entries.length === 0) return null;
  return (
    <section aria-label="Pinned charts">
      <h3>Pinned charts</h3>
      <ul className="pinned-charts">
        {entries.map(([chart, digest]) => (
          <li key={chart}>
            <code>{chart}</code>{' '}
            <span className="muted small" title={`sha256:${digest}`}>
              sha256:{digest.slice(0, 12)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
