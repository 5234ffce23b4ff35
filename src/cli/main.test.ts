// The command line as a user meets it, without a hub: help, usage errors, and what the hub's answers turn
// into (through a stubbed fetch).
import { describe, expect, it } from 'vitest';
import { commands, main } from './main.js';
import type { Output } from './command.js';

function capture(isTTY = false): Output & { text: () => string } {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    isTTY,
    columns: isTTY ? 100 : undefined,
    text: () => text,
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  requests: { method: string; url: string; headers: Record<string, string>; body?: string }[];
}

async function run(
  argv: string[],
  options: {
    env?: Record<string, string>;
    respond?: (url: string, init: RequestInit) => Response;
    tty?: boolean;
  } = {},
): Promise<Run> {
  const stdout = capture(options.tty);
  const stderr = capture();
  const requests: Run['requests'] = [];
  const fakeFetch = (input: string | URL | Request, init: RequestInit = {}) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers = (init.headers ?? {}) as Record<string, string>;
    requests.push({
      method: init.method ?? 'GET',
      url,
      headers,
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
    });
    if (!options.respond)
      return Promise.reject(
        Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      );
    return Promise.resolve(options.respond(url, init));
  };
  const code = await main(argv, {
    stdout,
    stderr,
    env: { HOME: '/nonexistent', ...options.env },
    cwd: '/tmp',
    now: () => Date.parse('2025-01-01T12:00:00Z'),
    fetch: fakeFetch,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text(), requests };
}

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

describe('help', () => {
  it('every command has --help with its usage and examples, exit 0', async () => {
    for (const command of commands) {
      const result = await run([...command.path, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: ${command.usage}`);
      expect(result.stdout).toContain('Examples:\n  strata ');
      expect(command.examples.length).toBeGreaterThan(0);
    }
  });

  it('serve --help says /metrics needs a token unless --metrics-public, and where the admin token goes', async () => {
    const { stdout } = await run(['serve', '--help']);
    expect(stdout).toContain('--metrics-public');
    expect(stdout).toContain('STRATA_METRICS_PUBLIC=true (/metrics without any token)');
    expect(stdout).toContain('token itself only with --print-admin-token');
    expect(stdout).toContain('--print-admin-token');
  });

  it('groups and the top level have help too', async () => {
    for (const argv of [['--help'], [], ['cluster', '--help'], ['profile', '-h'], ['token', '--help']]) {
      const result = await run(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Usage: strata/);
    }
  });
});

describe('usage errors', () => {
  it('names an unknown command, with did you mean', async () => {
    const result = await run(['statsu', 'dev']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      'error: unknown command "statsu" for "strata"; did you mean "status"?\nrun \'strata --help\' for the list\n',
    );
    expect((await run(['cluster', 'lsit'])).stderr).toContain(
      'unknown command "lsit" for "strata cluster"; did you mean "list"?',
    );
    expect((await run(['cluster'])).stderr).toContain('"strata cluster" needs a command: add, list, rm');
  });

  it('names an unknown flag, with did you mean', async () => {
    const result = await run(['status', 'dev', '--wiat']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: unknown flag --wiat for "strata status"; did you mean --wait?');
    expect((await run(['status', 'dev', '--frobnicate'])).stderr).toMatch(
      /unknown flag --frobnicate for "strata status"\n/,
    );
  });

  it('checks values, choices and arity before calling the hub', async () => {
    expect((await run(['cluster', 'add', 'dev', '--kubeconfig'])).stderr).toContain(
      'flag --kubeconfig needs a value (FILE)',
    );
    expect((await run(['status', 'dev', '-o', 'jsn'])).stderr).toContain(
      'flag -o: "jsn" is not one of table, json, yaml; did you mean "json"?',
    );
    expect((await run(['status'])).stderr).toContain('"strata status" needs CLUSTER');
    expect((await run(['detach', 'a', 'b', 'c'])).stderr).toContain(
      'unexpected argument for "strata detach": c',
    );
    expect((await run(['status', 'dev', '--watch=yes'])).stderr).toContain('flag --watch takes no value');
    expect((await run(['status', 'dev', '--timeout', '5m'])).stderr).toContain('--timeout needs --wait');
    expect((await run(['status', 'dev', '--wait', '--timeout', '5 minutes'])).stderr).toContain(
      'expected a duration like 90s, 10m or 1h30m',
    );
    expect((await run(['attach', 'dev', 'p', '--set', 'novalue'])).stderr).toContain(
      '--set novalue: expected NAME=VALUE',
    );
    expect((await run(['cluster', 'add', 'dev'])).stderr).toContain('needs --kubeconfig FILE');
  });
});

describe('talking to the hub', () => {
  it('says how to start the hub when nothing answers', async () => {
    const result = await run(['cluster', 'list'], { env: { STRATA_SERVER: 'http://127.0.0.1:1' } });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(
      'error: cannot reach the Strata hub at http://127.0.0.1:1: is `strata serve` running?',
    );
  });

  it('sends the token, and on 401 says how to set STRATA_TOKEN', async () => {
    const result = await run(['cluster', 'list'], {
      env: { STRATA_TOKEN: 'secret' },
      respond: () =>
        json(
          401,
          {
            title: 'Unauthorized',
            status: 401,
            detail: 'the API token is not valid',
            code: 'UNAUTHENTICATED',
          },
          'application/problem+json',
        ),
    });
    expect(result.requests[0]?.headers.authorization).toBe('Bearer secret');
    expect(result.requests[0]?.url).toBe('http://127.0.0.1:7400/api/v1/clusters');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: the API token is not valid: the token from STRATA_TOKEN was refused (UNAUTHENTICATED)',
    );
    expect(result.stderr).toContain('set STRATA_TOKEN=<token>');
  });

  it('prints problem details with their code, and positioned issues one per line', async () => {
    const result = await run(['cluster', 'rm', 'nope'], {
      respond: () =>
        json(404, { title: 'Not Found', status: 404, detail: 'cluster "nope" not found', code: 'NOT_FOUND' }),
    });
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: cluster "nope" not found (NOT_FOUND)\n',
    });
    expect(result.requests[0]).toMatchObject({
      method: 'DELETE',
      url: 'http://127.0.0.1:7400/api/v1/clusters/nope',
    });
  });

  it('-o json prints the API objects exactly', async () => {
    const clusters = [
      {
        name: 'dev',
        phase: 'success',
        counts: { onboarding: 0, processing: 0, success: 2, failed: 0 },
        packs: 2,
      },
    ];
    const result = await run(['cluster', 'list', '-o', 'json'], { respond: () => json(200, clusters) });
    expect(JSON.parse(result.stdout)).toEqual(clusters);
  });

  it('attaching an attached profile shows the per-pack diff, then updates', async () => {
    const result = await run(['attach', 'dev', 'monitoring@1.3.0', '--set', 'replicas=2'], {
      respond: (url, init) => {
        if (init.method === 'POST' && url.endsWith('/attachments'))
          return json(409, {
            title: 'Conflict',
            status: 409,
            detail: 'already attached',
            code: 'ATTACHMENT_EXISTS',
          });
        if (url.endsWith('/preview'))
          return json(200, [
            {
              pack: 'grafana',
              profile: 'monitoring',
              change: 'changed',
              fromVersion: '1.0.0',
              toVersion: '1.1.0',
              changes: ['values.replicas: 1 → 2', 'version: "1.0.0" → "1.1.0"'],
            },
            { pack: 'loki', profile: 'monitoring', change: 'added', toVersion: '2.0.0' },
          ]);
        return json(200, { cluster: 'dev', profile: 'monitoring', version: '1.3.0', values: {} });
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'profile monitoring is already attached to dev; changes:\n' +
        '  ~ monitoring/grafana (changed) 1.0.0 → 1.1.0\n' +
        '      values.replicas: 1 → 2\n' +
        '      version: "1.0.0" → "1.1.0"\n' +
        '  + monitoring/loki (added)\n' +
        'attachment of monitoring on dev updated to 1.3.0\n',
    );
    expect(result.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      'POST /api/v1/clusters/dev/attachments',
      'POST /api/v1/clusters/dev/attachments/monitoring/preview',
      'PATCH /api/v1/clusters/dev/attachments/monitoring',
    ]);
    expect(JSON.parse(result.requests[2]?.body ?? '')).toEqual({
      version: '1.3.0',
      values: { replicas: '2' },
    });
  });
});

describe('colour', () => {
  const clusters = [
    {
      name: 'dev',
      server: 'https://x',
      phase: 'failed',
      color: 'red',
      reachable: true,
      createdAt: '2025-01-01T11:00:00Z',
      counts: { onboarding: 0, processing: 0, success: 1, failed: 1 },
      packs: 2,
    },
  ];
  const respond = () => json(200, clusters);

  it('only on a terminal, and never with NO_COLOR or --no-color', async () => {
    expect((await run(['cluster', 'list'], { respond, tty: true })).stdout).toContain(
      '\x1b[31m✗ Failed\x1b[0m',
    );
    expect((await run(['cluster', 'list'], { respond })).stdout).not.toContain('\x1b');
    expect(
      (await run(['cluster', 'list'], { respond, tty: true, env: { NO_COLOR: '1' } })).stdout,
    ).not.toContain('\x1b');
    expect((await run(['cluster', 'list', '--no-color'], { respond, tty: true })).stdout).not.toContain(
      '\x1b',
    );
    expect((await run(['cluster', 'list'], { respond })).stdout).toMatch(/dev\s+✗ Failed\s+1\/2\s+yes/);
  });
});

describe('plain http (review 10, finding 8)', () => {
  const respond = () => json(200, []);

  it('sends no token over plain http:// to another machine, naming the URL and the way out', async () => {
    const result = await run(['cluster', 'list', '--server', 'http://hub.example:7400'], {
      env: { STRATA_TOKEN: 'secret' },
      respond,
    });
    expect(result.code).toBe(1);
    expect(result.requests).toEqual([]);
    expect(result.stderr).toContain(
      'error: --server / STRATA_SERVER: http://hub.example:7400 is plain http:// to another machine',
    );
    expect(result.stderr).toContain('--insecure-http');
  });

  it('sends it when asked for, over https, to this machine, and sends plain http without a token', async () => {
    const cases: [string[], Record<string, string>][] = [
      [['--server', 'http://hub.example:7400', '--insecure-http'], { STRATA_TOKEN: 'secret' }],
      [['--server', 'http://hub.example:7400'], { STRATA_TOKEN: 'secret', STRATA_INSECURE_HTTP: '1' }],
      [['--server', 'https://hub.example:7400'], { STRATA_TOKEN: 'secret' }],
      [['--server', 'http://localhost:7400'], { STRATA_TOKEN: 'secret' }],
      [[], { STRATA_TOKEN: 'secret' }],
      [['--server', 'http://hub.example:7400'], {}],
    ];
    for (const [flags, env] of cases) {
      const result = await run(['cluster', 'list', ...flags], { env, respond });
      expect(result.code, flags.join(' ')).toBe(0);
      expect(result.requests).toHaveLength(1);
    }
  });

  it('strata agent refuses a plain http:// hub on another machine before starting', async () => {
    const result = await run(['agent', '--hub', 'http://hub.example:7400', '--token', 't']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: --hub: http://hub.example:7400 is plain http:// to another machine',
    );
  });
});
