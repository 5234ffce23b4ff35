import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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
    });
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
