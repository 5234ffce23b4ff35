// Prometheus metrics: counts and timings, never names of secrets, but labelled with every cluster's name
// (`strata_packs{cluster=…}`), which /readyz keeps for callers with a token. So `/metrics` needs a bearer token
// by default (STRATA_METRICS_TOKEN for the scrape config, or any API token) and is open only with
// `--metrics-public` (routes/system.ts).
//
// A registry per server (not prom-client's global one), so several servers in one process (tests, the
// benchmark) do not share or double-register metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { packTiming } from '../hub/stream-events.js';
import { PackPhase } from '../status/index.js';
import type { StreamEvent } from './sse.js';

export interface Metrics {
  readonly registry: Registry;
  /** Feed every hub event here (the event stream does). */
  observeEvent(event: StreamEvent): void;
  observeRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
}

interface TransitionData {
  readonly transition?: { readonly to?: string; readonly from?: string };
}
interface StatusData {
  readonly status?: { readonly phase?: string; readonly startTime?: string; readonly endTime?: string };
}

export interface MetricsOptions {
  /** Per cluster, how many packs are in each phase, as stored (Hub.phaseCounts). */
  readonly phaseCounts: () => Promise<ReadonlyMap<string, Readonly<Record<PackPhase, number>>>>;
  readonly defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'strata_' });

  new Gauge({
    name: 'strata_packs',
    help: 'Packs on all clusters by phase (gray onboarding, blue processing, green success, red failed).',
    labelNames: ['cluster', 'phase'] as const,
    registers: [registry],
    // Read from the store's view at scrape time, so the gauge is right after a restart too; reset first so a
    // removed cluster's series disappear.
    async collect() {
      const counts = await options.phaseCounts();
      this.reset();
      for (const [cluster, perPhase] of counts) {
        for (const phase of Object.values(PackPhase)) this.set({ cluster, phase }, perPhase[phase]);
      }
    },
  });
  const transitions = new Counter({
    name: 'strata_pack_transitions_total',
    help: 'Pack phase changes seen by this hub since it started.',
    labelNames: ['from', 'to'] as const,
    registers: [registry],
  });
  const installDuration = new Histogram({
    name: 'strata_pack_install_duration_seconds',
    help: 'From a pack leaving onboarding to reaching success or failed (per revision).',
    labelNames: ['result'] as const,
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1200],
    registers: [registry],
  });
  const reconnects = new Counter({
    name: 'strata_watch_reconnects_total',
    help: 'Times a cluster connection was lost (the runner reconnects and relists).',
    labelNames: ['cluster'] as const,
    registers: [registry],
  });
  const http = new Histogram({
    name: 'strata_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  // An endTime is observed once per (cluster, pack, endTime): every later status write repeats it.
  const observedEnd = new Map<string, string>();

  return {
    registry,
    observeRequest: (labels, seconds) => {
      http.observe({ ...labels, status: String(labels.status) }, seconds);
    },
    observeEvent: (event) => {
      switch (event.kind) {
        case 'pack.transition': {
          const t =
            (event.data as TransitionData | undefined)?.transition ??
            (event.data as TransitionData['transition']);
          if (t?.to !== undefined) transitions.inc({ from: t.from ?? '', to: t.to });
          return;
        }
        case 'pack.status': {
          // From the status, not the view: reading `data` would build the view of every status event, for
          // no client when none is connected (stream-events.ts).
          const s =
            packTiming(event) ??
            (event.data as StatusData | undefined)?.status ??
            (event.data as StatusData['status']);
          if (!s?.startTime || !s.endTime) return;
          const key = `${event.cluster ?? ''}/${event.pack ?? ''}`;
          if (observedEnd.get(key) === s.endTime) return;
          observedEnd.set(key, s.endTime);
          const seconds = (Date.parse(s.endTime) - Date.parse(s.startTime)) / 1000;
          if (Number.isFinite(seconds) && seconds >= 0) {
            installDuration.observe({ result: s.phase === PackPhase.Failed ? 'failed' : 'success' }, seconds);
          }
          return;
        }
        case 'pack.removed':
          observedEnd.delete(`${event.cluster ?? ''}/${event.pack ?? ''}`);
          return;
        case 'cluster.connection': {
          const data = event.data as { reachable?: boolean } | undefined;
          if (data?.reachable === false) reconnects.inc({ cluster: event.cluster ?? '' });
          return;
        }
        default:
          // Other kinds (cluster.registered, …) carry nothing to measure.
          return;
      }
    },
  };
}

/** What the hub holds now, read at scrape time: hub-wide numbers only (a label per token would be unbounded). */
export interface LoadSources {
  /** Request body bytes being read (the body budget's count, heavy-requests.ts). */
  readonly bodyBytes: () => number;
  /** Connections open now, all of them. */
  readonly openConnections: () => Promise<number>;
  /** Of those, the ones that have made no request with a token yet, and the ones held by a token's requests. */
  readonly pendingConnections: () => number;
  readonly tokenConnections: () => number;
  /** Costly requests in progress per operation (HEAVY_OPERATIONS: a fixed set of label values). */
  readonly costlyRequests: () => ReadonlyMap<string, number>;
  /** Every costly operation, so each has a series (0 when idle). */
  readonly costlyOperations: Iterable<string>;
}

/** Gauges of what the caps in heavy-requests.ts and connection-limits.ts count, for alerts before a 429. */
export function registerLoadGauges(metrics: Metrics, sources: LoadSources): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'strata_request_body_bytes_in_flight',
    help: 'Request body bytes being read now, all tokens (the body budget, --max-body-mib).',
    registers,
    collect() {
      this.set(sources.bodyBytes());
    },
  });
  new Gauge({
    name: 'strata_open_connections',
    help: 'HTTP connections open now, streams included (--max-connections).',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.set({ state: 'all' }, await sources.openConnections());
      this.set({ state: 'before_token' }, sources.pendingConnections());
      this.set({ state: 'with_token' }, sources.tokenConnections());
    },
  });
  new Gauge({
    name: 'strata_costly_requests_in_progress',
    help: 'Costly requests (previews, validations, health-rule tests, …) in progress now, per operation.',
    labelNames: ['operation'] as const,
    registers,
    collect() {
      const running = sources.costlyRequests();
      for (const operation of sources.costlyOperations) this.set({ operation }, running.get(operation) ?? 0);
    },
  });
}
