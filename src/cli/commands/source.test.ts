// `strata source add` sends the password it read from a file (or stdin), never from argv, and the CA's
// content, not its path.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Output } from '../command.js';
import { main } from '../main.js';

function capture(): Output & { text: () => string } {
  let text = '';
  return {
    write: (chunk: string) => void (text += chunk),
    isTTY: false,
    columns: undefined,
    text: () => text,
  };
}

async function strata(argv: string[], cwd: string) {
  const stdout = capture();
  const stderr = capture();
  const requests: { url: string; method: string; body: unknown }[] = [];
  const fetch = (url: string | URL | Request, init: RequestInit = {}) => {
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    requests.push({
      url: url instanceof Request ? url.url : url.toString(),
      method: init.method ?? 'GET',
      body,
    });
    const saved = {
      name: 'charts',
      url: 'https://charts.example.com',
      username: 'ci',
      hasPassword: true,
      hasCa: true,
      insecureSkipTlsVerify: false,
      plainHttp: false,
      createdAt: '2025-01-01T00:00:00Z',
    };
    return Promise.resolve(
      new Response(JSON.stringify(saved), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
  };
  const code = await main(argv, {
    stdout,
    stderr,
    env: { HOME: '/nonexistent', STRATA_TOKEN: 't' },
    cwd,
    now: () => Date.parse('2025-01-01T12:00:00Z'),
    fetch,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text(), requests };
}

describe('strata source add', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-source-cli-'));
  writeFileSync(join(dir, 'pw'), 's3cret\n');
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it('sends the password from the file (without its newline) and the CA content', async () => {
    const out = await strata(
      [
        'source',
        'add',
        'charts',
        '--url',
        'https://charts.example.com',
        '--username',
        'ci',
        '--password-file',
        'pw',
        '--ca-file',
        'ca.pem',
      ],
      dir,
    );
    expect(out, out.stderr).toMatchObject({
      code: 0,
      stdout: 'source charts saved (https://charts.example.com)\n',
    });
    expect(out.requests).toEqual([
      {
        url: expect.stringMatching(/\/api\/v1\/sources$/) as unknown,
        method: 'POST',
        body: {
          name: 'charts',
          url: 'https://charts.example.com',
          username: 'ci',
          password: 's3cret',
          caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        },
      },
    ]);
  });

  it('refuses a password without a username, and two ways of giving it, before calling the hub', async () => {
    const alone = await strata(
      ['source', 'add', 'charts', '--url', 'https://c.example.com', '--password-file', 'pw'],
      dir,
    );
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toContain('a password needs --username');
    const both = await strata(
      [
        'source',
        'add',
        'charts',
        '--url',
        'https://c.example.com',
        '--username',
        'u',
        '--password-file',
        'pw',
        '--password-stdin',
      ],
      dir,
    );
    expect(both.stderr).toContain('give the password one way');
    expect([...alone.requests, ...both.requests]).toEqual([]);
  });
});
