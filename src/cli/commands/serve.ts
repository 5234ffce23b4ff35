// strata serve: the hub itself (src/server's serve). Loaded only when asked for, so client commands do not
// pay for Fastify, the store and the engine.
import { flag, stringOption, type Command } from '../command.js';
import { ExitCode } from '../errors.js';

/**
 * How long after the hub starts listening it compacts its heap once (see compactOnceStarted): start-up work
 * (migrations, the first reads) is over by then.
 */
const COMPACT_AFTER_MS = 5_000;

/**
 * Once the hub has started, one full garbage collection of the "last resort" kind, which also compacts: what
 * loading the code and starting the hub left behind (parser and module-loader garbage, half-empty heap pages)
 * is given back, ~4 MiB of an idle hub's RSS (issue 15: an idle hub under 80 MiB; bench/hub-rss.bench.ts).
 * V8's own idle collections do not compact as much. It pauses the hub once, for 0.1-0.2 s with ~20 MiB of heap,
 * while nothing is running yet. Only with `--expose-gc`, which bin/strata gives: elsewhere nothing happens.
 */
function compactOnceStarted(log: (fields: object, message: string) => void): void {
  const gc = globalThis.gc;
  if (gc === undefined) return;
  setTimeout(() => {
    const before = process.memoryUsage().rss;
    const started = performance.now();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    log(
      {
        rssBeforeMiB: Math.round(before / 2 ** 20),
        rssAfterMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
        pauseMs: Math.round(performance.now() - started),
      },
      'compacted the heap once after start',
    );
  }, COMPACT_AFTER_MS).unref();
}

/** The server's flags, passed through as it names them (src/config.ts reads them with the STRATA_* env). */
const passthrough = [
  'address',
  'data-dir',
  'database-url',
  'helm',
  'log-level',
  'allow-exec-plugin',
  'outbound-deny',
  'metrics-token',
  'max-streams-per-token',
  'max-streams',
  'max-costly-requests-per-token',
  'request-timeout',
  'max-connections',
  'max-connections-per-address',
  'max-connections-per-token',
  'max-costly-requests-per-operation',
  'max-body-mib-per-token',
  'max-body-mib',
  'watch-cache-mib',
  'keep-transitions',
  'keep-days',
] as const;

export const serveCommand: Command = {
  path: ['serve'],
  usage:
    'strata serve [--address HOST:PORT] [--data-dir DIR] [--database-url URL] [--helm PATH] [--log-level LEVEL] ' +
    '[--allow-exec-plugin NAMES] [--outbound-deny RANGES] [--metrics-token TOKEN] [--metrics-public] ' +
    '[--max-streams-per-token N] [--max-streams N] [--max-costly-requests-per-token N] [--request-timeout SECONDS] [--max-connections N] ' +
    '[--max-connections-per-address N] [--max-connections-per-token N] [--max-costly-requests-per-operation N] ' +
    '[--max-body-mib-per-token N] [--max-body-mib N] [--watch-cache-mib N] [--keep-transitions N] [--keep-days DAYS] [--print-admin-token]',
  summary: 'run the hub: the API, the web UI and one runner per registered cluster',
  description:
    'Flags win over the environment: STRATA_ADDRESS (default 127.0.0.1:7400), STRATA_DATA_DIR (default\n' +
    './.strata), STRATA_DATABASE_URL (default SQLite in the data dir; postgres://… for PostgreSQL),\n' +
    'STRATA_SECRET_KEY, STRATA_HELM, STRATA_LOG_LEVEL, STRATA_ALLOWED_EXEC_PLUGINS, STRATA_OUTBOUND_DENY,\n' +
    'STRATA_MAX_STREAMS_PER_TOKEN, STRATA_MAX_STREAMS, STRATA_MAX_COSTLY_REQUESTS_PER_TOKEN,\n' +
    'STRATA_REQUEST_TIMEOUT, STRATA_MAX_CONNECTIONS,\n' +
    'STRATA_MAX_CONNECTIONS_PER_ADDRESS, STRATA_MAX_CONNECTIONS_PER_TOKEN, STRATA_KEEP_TRANSITIONS, STRATA_KEEP_DAYS,\n' +
    'STRATA_MAX_COSTLY_REQUESTS_PER_OPERATION, STRATA_MAX_BODY_MIB_PER_TOKEN, STRATA_MAX_BODY_MIB,\n' +
    'STRATA_WATCH_CACHE_MIB,\n' +
    'STRATA_PRINT_ADMIN_TOKEN=true,\n' +
    "STRATA_METRICS_TOKEN (a bearer token for Prometheus' scrape config; /metrics takes it or any API token;\n" +
    'prefer the variable: a flag shows in `ps`), STRATA_METRICS_PUBLIC=true (/metrics without any token).\n' +
    'On first start an admin token is written to <data dir>/admin-token (0600) and its path is printed (the\n' +
    'token itself only with --print-admin-token: a terminal can be logged too, `docker run -t`); the file is\n' +
    'removed as soon as another admin token exists. Ctrl-C\n' +
    '(SIGINT) or SIGTERM stops it cleanly.',
  args: [],
  needsHub: false,
  options: {
    address: { type: 'string', value: 'HOST:PORT', description: 'where to listen (default 127.0.0.1:7400)' },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'database, key file and admin token (default ./.strata)',
    },
    'database-url': {
      type: 'string',
      value: 'URL',
      description: 'sqlite:PATH or postgres://… (default SQLite in the data dir)',
    },
    helm: {
      type: 'string',
      value: 'PATH',
      description: 'the helm binary (default: the pinned one of this checkout, else PATH)',
    },
    'log-level': {
      type: 'string',
      value: 'LEVEL',
      description: 'fatal, error, warn, info, debug, trace or silent',
    },
    'allow-exec-plugin': {
      type: 'string',
      value: 'NAMES',
      description:
        'exec credential plugins kubeconfigs may run on the hub, by name (aws,gke-gcloud-auth-plugin), each only ' +
        'as its token-getting command; default none',
    },
    'outbound-deny': {
      type: 'string',
      value: 'RANGES',
      description:
        'address ranges cluster servers may not be in: link-local,loopback,private or none (default link-local)',
    },
    'metrics-token': {
      type: 'string',
      value: 'TOKEN',
      description:
        'a bearer token /metrics takes besides API tokens, for a scrape config (STRATA_METRICS_TOKEN is safer)',
    },
    'metrics-public': {
      type: 'boolean',
      description:
        '/metrics answers without a token (default: it needs one, as its labels name every cluster)',
    },
    'max-streams-per-token': {
      type: 'string',
      value: 'N',
      description: 'event streams one API token may hold open (default 32; more get 429)',
    },
    'max-streams': {
      type: 'string',
      value: 'N',
      description: 'event streams the hub holds open in all (default 20000)',
    },
    'max-costly-requests-per-token': {
      type: 'string',
      value: 'N',
      description:
        'previews, validations, health-rule tests, values and bundle downloads one API token may have in ' +
        'progress (default 4; more get 429)',
    },
    'request-timeout': {
      type: 'string',
      value: 'SECONDS',
      description:
        'how long a client may take to send one request, body included (default 120; then 408). Event streams are not cut',
    },
    'max-connections': {
      type: 'string',
      value: 'N',
      description:
        'connections the hub holds open in all, streams included (default 25000; more are dropped)',
    },
    'max-connections-per-address': {
      type: 'string',
      value: 'N',
      description:
        'connections one client address may hold before its first request with a token (default 1024; more get 429)',
    },
    'max-connections-per-token': {
      type: 'string',
      value: 'N',
      description:
        "connections one token's requests may hold open (default 256; a request on one more gets 429)",
    },
    'max-costly-requests-per-operation': {
      type: 'string',
      value: 'N',
      description:
        'costly requests of one kind (e.g. health-rule tests) the hub runs at once for all tokens; viewers together ' +
        "get all but one token's share (default 16; more get 429)",
    },
    'max-body-mib-per-token': {
      type: 'string',
      value: 'N',
      description: 'request body MiB being read at once for one token (default 8; more get 429)',
    },
    'max-body-mib': {
      type: 'string',
      value: 'N',
      description: 'request body MiB the hub reads at once in all (default 256; more get 503)',
    },
    'watch-cache-mib': {
      type: 'string',
      value: 'N',
      description:
        "MiB of objects the hub's list+watch of every cluster may hold, all clusters together; each cluster is " +
        'kept an even part of half of it and may borrow from the other half (default a quarter of the heap limit; ' +
        "past its share a cluster's watches stop growing and it shows the reason)",
    },
    'print-admin-token': {
      type: 'boolean',
      description:
        'print the first admin token itself at first start (default: only its file, <data dir>/admin-token)',
    },
    'keep-transitions': {
      type: 'string',
      value: 'N',
      description: 'pack history kept: the newest N transitions (and status events) per pack (default 1000)',
    },
    'keep-days': {
      type: 'string',
      value: 'DAYS',
      description:
        "pack history older than this is deleted, each pack's newest kept (default 90; 0: any age)",
    },
  },
  examples: [
    'strata serve',
    'strata serve --address 0.0.0.0:7400 --data-dir /var/lib/strata',
    'STRATA_DATABASE_URL=postgres://strata@db/strata strata serve',
  ],
  async run(ctx, { options }) {
    const argv = passthrough.flatMap((name) => {
      const value = stringOption(options, name);
      return value === undefined ? [] : [`--${name}=${value}`];
    });
    if (flag(options, 'metrics-public')) argv.push('--metrics-public');
    if (flag(options, 'print-admin-token')) argv.push('--print-admin-token');
    const { serve } = await import('../../server/serve.js');
    const running = await serve({
      argv,
      env: ctx.env,
      cwd: ctx.cwd,
      print: (line) => {
        ctx.stdout.write(`${line}\n`);
      },
    });
    running.server.app.log.debug({ helm: running.config.helmBin }, 'the helm this hub runs');
    compactOnceStarted((fields, message) => {
      running.server.app.log.debug(fields, message);
    });
    // serve handles SIGINT/SIGTERM itself (closes and exits); until then the listening server keeps us alive.
    await new Promise<void>((resolve) =>
      running.server.app.server.once('close', () => {
        resolve();
      }),
    );
    return ExitCode.Ok;
  },
};
