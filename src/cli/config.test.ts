import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFilePath, loadCliConfig } from './config.js';

function configHome(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cli-config-'));
  mkdirSync(join(dir, 'strata'));
  writeFileSync(join(dir, 'strata', 'config.yaml'), text);
  return dir;
}

describe('loadCliConfig', () => {
  it('defaults to the local hub with no token', () => {
    const config = loadCliConfig({ env: { HOME: '/nonexistent' } });
    expect(config).toMatchObject({
      server: 'http://127.0.0.1:7400',
      token: undefined,
      tokenSource: 'none',
      noColor: false,
    });
    expect(configFilePath({ HOME: '/home/me' })).toBe('/home/me/.config/strata/config.yaml');
  });

  it('reads the config file from XDG_CONFIG_HOME; the environment wins over it and the flag over both', () => {
    const XDG_CONFIG_HOME = configHome('server: https://hub.example:7400/\ntoken: from-file\n');
    expect(loadCliConfig({ env: { XDG_CONFIG_HOME } })).toMatchObject({
      server: 'https://hub.example:7400',
      token: 'from-file',
      tokenSource: 'file',
    });
    expect(
      loadCliConfig({ env: { XDG_CONFIG_HOME, STRATA_SERVER: 'http://a:1', STRATA_TOKEN: 'from-env' } }),
    ).toMatchObject({ server: 'http://a:1', token: 'from-env', tokenSource: 'env' });
    expect(
      loadCliConfig({ env: { XDG_CONFIG_HOME, STRATA_SERVER: 'http://a:1' }, server: 'http://b:2' }).server,
    ).toBe('http://b:2');
  });

  it('names the file and the field when the file is wrong, and the variable when the URL is', () => {
    const XDG_CONFIG_HOME = configHome('server: not a url\n');
    expect(() => loadCliConfig({ env: { XDG_CONFIG_HOME } })).toThrow(/config\.yaml: server: expected a URL/);
    expect(() => loadCliConfig({ env: { HOME: '/x', STRATA_SERVER: 'localhost:7400' } })).toThrow(
      /STRATA_SERVER: expected a URL like http:\/\/127\.0\.0\.1:7400, got "localhost:7400"/,
    );
  });

  it('NO_COLOR counts when set to anything but empty', () => {
    expect(loadCliConfig({ env: { HOME: '/x', NO_COLOR: '1' } }).noColor).toBe(true);
    expect(loadCliConfig({ env: { HOME: '/x', NO_COLOR: '' } }).noColor).toBe(false);
  });
});
