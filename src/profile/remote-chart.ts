// How a remote chart is named where its pinned archive is recorded (the version's pinned charts) and looked
// up at render time: the source and the exact version, so a pack that changes either is a different pin.
import { ChartSourceKind, type ChartSource } from './model.js';

export type RemoteChartSource = Exclude<ChartSource, { kind: typeof ChartSourceKind.Local }>;

/** `oci://host/path/chart@1.2.3`, or `https://charts.example.com name@1.2.3` for a repository chart. */
export function remoteChartKey(chart: RemoteChartSource): string {
  return chart.kind === ChartSourceKind.Repo
    ? `${chart.repo.replace(/\/+$/, '')} ${chart.name}@${chart.version}`
    : `${chart.ref}@${chart.version}`;
}
