// `strata health test` and `apply` against the hub's own health rule service (in memory) behind a fake fetch:
// the CLI reads the files here and prints what the hub decides.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthRuleService } from '../../hub/health-rules.js';
import { HubError } from '../../hub/errors.js';
import { hubStatus } from '../../server/to-problem.js';
import { createStore, type Store } from '../../store/index.js';
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

let store: Store;
let service: HealthRuleService;
const dir = mkdtempSync(join(tmpdir(), 'strata-health-cli-'));

beforeEach(async () => {
  store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
  service = new HealthRuleService({
    store,
    onChange: () => undefined,
    liveObject: () => Promise.resolve({ object: undefined, statusSubresource: true }),
  });
});

afterEach(async () => {
  await store.close();
});

/** The two routes, answered by the service as the server would (problem+json on a HubError). */
const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
  const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
  // The CLI sends what the route schemas accept; the server would parse them into these shapes.
  const body = JSON.parse(typeof init.body === 'string' ? init.body : '{}') as { yaml: string } & Parameters<
    HealthRuleService['test']
  >[0];
  try {
    if (path === '/api/v1/health-rules/test') return Response.json(await service.test(body));
    if (path === '/api/v1/health-rules')
      return Response.json(await service.apply(body, { name: 'admin' }), { status: 201 });
  } catch (error) {
    if (error instanceof HubError) {
      return Response.json(
        { status: hubStatus[error.code], code: error.code, detail: error.message, title: 'x' },
        { status: hubStatus[error.code] },
      );
    }
    throw error;
  }
  return Response.json({ status: 404, code: 'NOT_FOUND', detail: path }, { status: 404 });
};

async function strata(argv: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, {
    stdout,
    stderr,
    env: { HOME: '/nonexistent', STRATA_TOKEN: 't' },
    cwd: dir,
    now: () => Date.parse('2026-12-01T12:00:00Z'),
    fetch,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

writeFileSync(
  join(dir, 'rules.yaml'),
  [
    'apiVersion: strata.dev/v1alpha1',
    'kind: HealthRules',
    'spec:',
    '  healthChecks:',
    '    - apiVersion: example.com/v1',
    '      kind: Widget',
    "      current: status.phase == 'Ready'",
    "      failed: status.phase == 'Failed'",
    '      message: "\'phase \' + status.phase"',
    '',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'widget.yaml'),
  'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w, namespace: apps }\nstatus: { phase: Failed }\n',
);

describe('strata health', () => {
  it('test -f RULES --object FILE prints the verdict and the rule that decided', async () => {
    const result = await strata(['health', 'test', '-f', 'rules.yaml', '--object', 'widget.yaml']);
    expect(result).toEqual({
      code: 0,
      stdout:
        'Failed (Failed) Widget apps/w: phase Failed\n  decided by: pack rule for example.com/v1 Widget\n',
      stderr: '',
    });
  });

  it('apply -f sends the file and reports the version; test then uses it without -f', async () => {
    expect((await strata(['health', 'apply', '-f', 'rules.yaml'])).stdout).toBe(
      'health rules version 1 applied (1 rule)\n',
    );
    expect((await strata(['health', 'test', '--object', 'widget.yaml'])).stdout).toContain(
      'decided by: cluster rule for example.com/v1 Widget',
    );
  });

  it('needs an object or a live one, not both', async () => {
    const result = await strata(['health', 'test', '--object', 'widget.yaml', '--cluster', 'dev']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('needs either --object FILE or --cluster');
  });
});
