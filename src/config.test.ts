import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { defaultWatchBudgetBytes } from './kube/index.js';

const base = { cwd: '/srv', findHelm: () => '/opt/helm' };

describe('loadConfig', () => {
  it('defaults: 127.0.0.1:7400, ./.strata, SQLite in the data dir', () => {
    const config = loadConfig({ ...base, env: {} });
    expect(config).toEqual({
      address: { host: '127.0.0.1', port: 7400 },
      dataDir: '/srv/.strata',
      databaseUrl: 'sqlite:/srv/.strata/strata.db',
      secretKey: undefined,
      helmBin: '/opt/helm',
      logLevel: 'info',
      allowedExecPlugins: [],
      outboundDeny: ['link-local'],
      metricsPublic: false,
      maxStreamsPerToken: 32,
      maxStreams: 20_000,
      maxCostlyPerToken: 4,
      requestTimeoutMs: 120_000,
      maxConnections: 25_000,
      maxConnectionsPerAddress: 1024,
      maxConnectionsPerToken: 256,
      maxCostlyPerOperation: 16,
      maxBodyBytesPerToken: 8 * 1024 * 1024,
      maxBodyBytes: 256 * 1024 * 1024,
      watchCacheBytes: defaultWatchBudgetBytes(),
      printAdminToken: false,
      keepTransitions: 1000,
      keepDays: 90,
    });
  });

  it('the request timeout (seconds) and connection caps, from flags or STRATA_* variables', () => {
    const config = loadConfig({
      ...base,
      env: { STRATA_REQUEST_TIMEOUT: '30', STRATA_MAX_CONNECTIONS: '900' },
      argv: ['--max-connections-per-address=16', '--request-timeout', '600', '--max-connections-per-token=8'],
    });
    expect([
      config.requestTimeoutMs,
      config.maxConnections,
      config.maxConnectionsPerAddress,
      config.maxConnectionsPerToken,
    ]).toEqual([600_000, 900, 16, 8]);
    expect(
      loadConfig({ ...base, env: { STRATA_MAX_CONNECTIONS_PER_TOKEN: '64' } }).maxConnectionsPerToken,
    ).toBe(64);
    const kept = loadConfig({ ...base, env: { STRATA_KEEP_DAYS: '0' }, argv: ['--keep-transitions=50'] });
    expect([kept.keepTransitions, kept.keepDays]).toEqual([50, 0]);
    expect(() => loadConfig({ ...base, env: { STRATA_REQUEST_TIMEOUT: '0' } })).toThrow(
      'STRATA_REQUEST_TIMEOUT: expected whole seconds from 1 to 99999',
    );
  });

  it('/metrics is opened by --metrics-public or STRATA_METRICS_PUBLIC=true, never together with a token', () => {
    expect(loadConfig({ ...base, env: {}, argv: ['--metrics-public'] }).metricsPublic).toBe(true);
    expect(loadConfig({ ...base, env: {}, argv: ['--metrics-public=false'] }).metricsPublic).toBe(false);
    expect(loadConfig({ ...base, env: { STRATA_METRICS_PUBLIC: 'true' } }).metricsPublic).toBe(true);
    expect(() => loadConfig({ ...base, env: { STRATA_METRICS_PUBLIC: 'yes' } })).toThrow(
      'STRATA_METRICS_PUBLIC: expected true or false',
    );
    expect(() =>
      loadConfig({
        ...base,
        env: { STRATA_METRICS_TOKEN: 'scrape-0123456789abcdef' },
        argv: ['--metrics-public'],
      }),
    ).toThrow('--metrics-public: /metrics cannot be both open and behind STRATA_METRICS_TOKEN');
  });

  it('caps on open event streams, per token and in all, from flags or STRATA_* variables', () => {
    const config = loadConfig({
      ...base,
      env: { STRATA_MAX_STREAMS_PER_TOKEN: '10001', STRATA_MAX_STREAMS: '500' },
      argv: ['--max-streams=600'],
    });
    expect([config.maxStreamsPerToken, config.maxStreams]).toEqual([10_001, 600]);
    expect(() => loadConfig({ ...base, env: { STRATA_MAX_STREAMS_PER_TOKEN: '0' } })).toThrow(
      'STRATA_MAX_STREAMS_PER_TOKEN: expected a whole number from 1 to 999999999',
    );
  });

  it('the cap on costly requests in progress per token, from the flag or STRATA_MAX_COSTLY_REQUESTS_PER_TOKEN', () => {
    const env = { STRATA_MAX_COSTLY_REQUESTS_PER_TOKEN: '2' };
    expect(loadConfig({ ...base, env }).maxCostlyPerToken).toBe(2);
    expect(loadConfig({ ...base, env, argv: ['--max-costly-requests-per-token=8'] }).maxCostlyPerToken).toBe(
      8,
    );
    expect(() => loadConfig({ ...base, env: { STRATA_MAX_COSTLY_REQUESTS_PER_TOKEN: 'x' } })).toThrow(
      'STRATA_MAX_COSTLY_REQUESTS_PER_TOKEN: expected a whole number from 1 to 999999999',
    );
  });

  it('the hub-wide cap per costly operation and the body budgets (MiB), from flags or STRATA_* variables', () => {
    const env = {
      STRATA_MAX_COSTLY_REQUESTS_PER_OPERATION: '6',
      STRATA_MAX_BODY_MIB_PER_TOKEN: '4',
      STRATA_MAX_BODY_MIB: '64',
    };
    expect(loadConfig({ ...base, env })).toMatchObject({
      maxCostlyPerOperation: 6,
      maxBodyBytesPerToken: 4 * 1024 * 1024,
      maxBodyBytes: 64 * 1024 * 1024,
    });
    expect(
      loadConfig({
        ...base,
        env,
        argv: ['--max-costly-requests-per-operation=32', '--max-body-mib-per-token=16', '--max-body-mib=512'],
      }),
    ).toMatchObject({
      maxCostlyPerOperation: 32,
      maxBodyBytesPerToken: 16 * 1024 * 1024,
      maxBodyBytes: 512 * 1024 * 1024,
    });
    expect(() => loadConfig({ ...base, env: {}, argv: ['--max-body-mib-per-token=300'] })).toThrow(
      '--max-body-mib-per-token: 300 MiB per token is more than the hub reads in all (STRATA_MAX_BODY_MIB, 256 MiB)',
    );
  });

  it("the watch budget (MiB) from --watch-cache-mib or STRATA_WATCH_CACHE_MIB, by default a quarter of the heap's", () => {
    expect(loadConfig({ ...base, env: {} }).watchCacheBytes).toBe(defaultWatchBudgetBytes());
    const env = { STRATA_WATCH_CACHE_MIB: '2048' };
    expect(loadConfig({ ...base, env }).watchCacheBytes).toBe(2048 * 1024 * 1024);
    expect(loadConfig({ ...base, env, argv: ['--watch-cache-mib', '512'] }).watchCacheBytes).toBe(
      512 * 1024 * 1024,
    );
    expect(() => loadConfig({ ...base, env: {}, argv: ['--watch-cache-mib=0'] })).toThrow(
      '--watch-cache-mib: expected a whole number from 1 to 999999999',
    );
  });

  it('prints the first admin token only when asked: --print-admin-token or STRATA_PRINT_ADMIN_TOKEN=true', () => {
    expect(loadConfig({ ...base, env: {}, argv: ['--print-admin-token'] }).printAdminToken).toBe(true);
    expect(loadConfig({ ...base, env: { STRATA_PRINT_ADMIN_TOKEN: 'true' } }).printAdminToken).toBe(true);
    expect(loadConfig({ ...base, env: {} }).printAdminToken).toBe(false);
  });

  it('exec plugins an admin allows and address ranges to deny, from flags or STRATA_* variables', () => {
    const fromEnv = loadConfig({
      ...base,
      env: {
        STRATA_ALLOWED_EXEC_PLUGINS: 'aws, gke-gcloud-auth-plugin',
        STRATA_OUTBOUND_DENY: 'link-local,private',
      },
    });
    expect(fromEnv.allowedExecPlugins).toEqual(['aws', 'gke-gcloud-auth-plugin']);
    expect(fromEnv.outboundDeny).toEqual(['link-local', 'private']);
    const fromFlags = loadConfig({
      ...base,
      env: { STRATA_OUTBOUND_DENY: 'private' },
      argv: ['--allow-exec-plugin', 'kubelogin', '--outbound-deny=none'],
    });
    expect(fromFlags.allowedExecPlugins).toEqual(['kubelogin']);
    expect(fromFlags.outboundDeny).toEqual([]);
  });

  it('an exec plugin is a name, never a path; an address range is one it knows', () => {
    expect(() => loadConfig({ ...base, env: { STRATA_ALLOWED_EXEC_PLUGINS: 'aws,/tmp/x/sh' } })).toThrow(
      /STRATA_ALLOWED_EXEC_PLUGINS: expected comma-separated command names such as aws,gke-gcloud-auth-plugin \(no paths\)/,
    );
    expect(() => loadConfig({ ...base, env: {}, argv: ['--outbound-deny', 'metadata'] })).toThrow(
      '--outbound-deny: unknown address range "metadata": expected a list of link-local, loopback, private, or none',
    );
  });

  it('flags win over STRATA_* variables', () => {
    const config = loadConfig({
      ...base,
      env: { STRATA_ADDRESS: '0.0.0.0:1', STRATA_DATABASE_URL: 'postgres://u@h/db', STRATA_HELM: '/x/helm' },
      argv: ['--address', '[::1]:8080', '--data-dir=/data'],
    });
    expect(config.address).toEqual({ host: '::1', port: 8080 });
    expect(config.dataDir).toBe('/data');
    expect(config.databaseUrl).toBe('postgres://u@h/db');
    expect(config.helmBin).toBe('/x/helm');
  });

  it('names the variable or flag and what is wrong', () => {
    expect(() => loadConfig({ ...base, env: { STRATA_ADDRESS: 'localhost' } })).toThrow(
      /STRATA_ADDRESS: expected host:port/,
    );
    expect(() => loadConfig({ ...base, env: { STRATA_LOG_LEVEL: 'loud' } })).toThrow(
      /STRATA_LOG_LEVEL: expected one of fatal/,
    );
    expect(() => loadConfig({ ...base, env: {}, argv: ['--address', '1.2.3.4:99999'] })).toThrow(
      /--address:/,
    );
    expect(() => loadConfig({ ...base, env: {}, argv: ['--port', '1'] })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, env: {}, argv: ['--address'] })).toThrow(/--address: needs a value/);
  });
});
