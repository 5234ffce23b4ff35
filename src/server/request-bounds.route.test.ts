// Bounds on what a request may name (review 14, findings 1, 2 and 5): a file name every issue quotes, variable
// values for undeclared variables (each one an issue, with a did-you-mean), and body entries that each make a
// validation issue. A real hub on SQLite with an agent cluster (no control plane).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VARIABLE_VALUES } from '../hub/index.js';
import { MAX_ISSUES } from '../profile/index.js';
import { SqliteBackend } from '../store/testing/backends.js';
import { MAX_FILE_NAME } from '../shared/file-name.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';
import { startTestHub, type ApiResponse, type TestHub } from './testing/server.js';
import { MAX_INPUT_ISSUES } from './to-problem.js';
import { ATTACHMENT_BODY_LIMIT } from './routes/attachments.js';

const backend = new SqliteBackend();
let t: TestHub;

const profile = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: app }',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  variables:',
  '    - { name: databaseConnection00, default: x }',
  '    - { name: databaseConnection01, default: y }',
  '  packs:',
  '    - name: cfg',
  '      layer: addon',
  '      version: 1.0.0',
  '      type: manifest',
  '      namespace: default',
  '      manifests:',
  '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg }, data: { a: "{{ .strata.var.databaseConnection00 }}" } }',
  '',
].join('\n');

/** A profile of `n` unknown fields: one issue each, every one quoting the file name. */
const badProfile = (n: number) =>
  [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: x }',
    'spec:',
    ...Array.from({ length: n }, (_, i) => `  k${i}: 1`),
    '',
  ].join('\n');

const rulesFile =
  'apiVersion: strata.dev/v1alpha1\nkind: HealthRules\nrules:\n  - { apiVersion: x.example.com/v1, kind: K, current: "(" }\n';
const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } };

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, { server: { webRoot: false } });
  const steps = [
    await t.api('POST', '/api/v1/profiles', {
      role: 'operator',
      raw: profile,
      headers: { 'content-type': 'application/yaml' },
    }),
    await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'c1' } }),
    await t.api('POST', '/api/v1/clusters/c1/attachments', { role: 'operator', body: { profile: 'app' } }),
  ];
  for (const step of steps) expect(step.status, step.text).toBe(201);
});

afterAll(async () => {
  await t.close();
  await backend.teardown();
});

function problemOf(res: ApiResponse, status: number, code: string): Problem {
  expect(res.status, res.text.slice(0, 500)).toBe(status);
  expect(res.contentType).toContain(PROBLEM_CONTENT_TYPE);
  const problem = res.json as Problem;
  expect(problem.code).toBe(code);
  return problem;
}

describe('a file name (review 14, finding 1)', () => {
  const long = 'f'.repeat(MAX_FILE_NAME + 1);

  it(`over ${MAX_FILE_NAME} characters is refused with 400 naming the field and the limit, wherever it is sent`, async () => {
    const refused = await Promise.all([
      t.api('POST', '/api/v1/profiles/validate', {
        role: 'viewer',
        body: { yaml: badProfile(150), file: long },
      }),
      t.api('POST', '/api/v1/profiles', { role: 'operator', body: { yaml: profile, file: long } }),
      t.api('POST', `/api/v1/profiles/validate?file=${long}`, {
        role: 'viewer',
        raw: badProfile(150),
        headers: { 'content-type': 'application/yaml' },
      }),
      t.api('POST', '/api/v1/health-rules/test', {
        role: 'viewer',
        body: { rules: rulesFile, file: long, object },
      }),
      t.api('POST', '/api/v1/health-rules', { body: { yaml: rulesFile, file: long } }),
    ]);
    const details = refused.map((res) => problemOf(res, 400, 'INVALID_REQUEST').detail);
    expect(details).toEqual([
      `body file: at most ${MAX_FILE_NAME} characters`,
      `body file: at most ${MAX_FILE_NAME} characters`,
      `query parameter file: at most ${MAX_FILE_NAME} characters`,
      `body file: at most ${MAX_FILE_NAME} characters`,
      `body file: at most ${MAX_FILE_NAME} characters`,
    ]);
  });

  it('with a control or bidi character is refused', async () => {
    for (const file of ['a\u001b[2Jb.yaml', 'a\nb.yaml', 'evil\u202egnp.yaml']) {
      const res = await t.api('POST', '/api/v1/profiles/validate', {
        role: 'viewer',
        body: { yaml: profile, file },
      });
      expect(problemOf(res, 400, 'INVALID_REQUEST').detail).toBe(
        'body file: no control, bidi or line-separator characters',
      );
    }
  });

  it(`of ${MAX_FILE_NAME} characters is quoted in at most ${MAX_ISSUES + 1} issues`, async () => {
    const file = 'f'.repeat(MAX_FILE_NAME);
    const res = await t.api('POST', '/api/v1/profiles/validate', {
      role: 'viewer',
      body: { yaml: badProfile(150), file },
    });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    const { valid, issues } = res.json as { valid: boolean; issues: { file: string; formatted: string }[] };
    expect(valid).toBe(false);
    expect(issues).toHaveLength(MAX_ISSUES + 1);
    expect(issues.every((i) => i.file === file && i.formatted.startsWith(`${file}:`))).toBe(true);
  });
});

describe('variable values (review 14, finding 2)', () => {
  const named = (n: number, prefix = 'databaseConnecti') =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [`${prefix}${i.toString(36).padStart(4, '0')}`, '']),
    );

  it(`more than ${MAX_VARIABLE_VALUES} are refused before any is looked at: preview, attach and update`, async () => {
    const values = named(MAX_VARIABLE_VALUES + 1);
    const refused = await Promise.all([
      t.api('POST', '/api/v1/clusters/c1/attachments/app/preview', { role: 'viewer', body: { values } }),
      t.api('PATCH', '/api/v1/clusters/c1/attachments/app', { role: 'operator', body: { values } }),
      t.api('PATCH', '/api/v1/clusters/c1/attachments/app?dryRun=true', {
        role: 'operator',
        body: { values },
      }),
      t.api('POST', '/api/v1/clusters/c1/attachments', {
        role: 'operator',
        body: { profile: 'app', values },
      }),
    ]);
    for (const res of refused) {
      expect(problemOf(res, 400, 'INVALID_REQUEST').detail).toBe(
        `body values: at most ${MAX_VARIABLE_VALUES} values`,
      );
    }
  });

  it('for undeclared variables answer a bounded problem: 20 described, the rest counted, a short detail', async () => {
    // Names as long as the declared ones: each one's distance to them is measured (none is close).
    const res = await t.api('POST', '/api/v1/clusters/c1/attachments/app/preview', {
      role: 'viewer',
      body: { values: named(MAX_VARIABLE_VALUES, 'x'.repeat(16)) },
    });
    const problem = problemOf(res, 422, 'PROFILE_COMPOSITION_INVALID');
    const issues = problem.issues ?? [];
    expect(issues).toHaveLength(21);
    expect(issues[0]?.message).toBe(
      'unknown variable "xxxxxxxxxxxxxxxx0000" for profile "app"; declared: databaseConnection00, databaseConnection01',
    );
    expect(issues[1]?.message).toBe('unknown variable "xxxxxxxxxxxxxxxx0001" for profile "app"');
    expect(issues[20]?.message).toBe(
      `${MAX_VARIABLE_VALUES - 20} more problems not shown; fix the ones above first`,
    );
    expect(problem.detail).toBe(
      'the profiles of cluster "c1" do not fit together: unknown variable "xxxxxxxxxxxxxxxx0000" for profile "app"; ' +
        'declared: databaseConnection00, databaseConnection01; unknown variable "xxxxxxxxxxxxxxxx0001" for profile ' +
        '"app"; unknown variable "xxxxxxxxxxxxxxxx0002" for profile "app"; … (all in the issues)',
    );
    expect(res.text.length).toBeLessThan(16 * 1024);
  });

  it(`a body over ${ATTACHMENT_BODY_LIMIT / 1024} KiB is refused unread: preview, attach and update (review 15, item 6)`, async () => {
    const values = { databaseConnection00: 'v'.repeat(ATTACHMENT_BODY_LIMIT) };
    const refused = await Promise.all([
      t.api('POST', '/api/v1/clusters/c1/attachments/app/preview', { role: 'viewer', body: { values } }),
      t.api('PATCH', '/api/v1/clusters/c1/attachments/app', { role: 'operator', body: { values } }),
      t.api('POST', '/api/v1/clusters/c1/attachments', {
        role: 'operator',
        body: { profile: 'app', values },
      }),
    ]);
    expect(refused.map((res) => res.status)).toEqual([413, 413, 413]);
    // Just under it is read (and answered on its merits).
    const under = await t.api('POST', '/api/v1/clusters/c1/attachments/app/preview', {
      role: 'viewer',
      body: { values: { databaseConnection00: 'v'.repeat(ATTACHMENT_BODY_LIMIT - 1024) } },
    });
    expect(under.status).not.toBe(413);
  });

  it('the did-you-mean stays for a near miss', async () => {
    const res = await t.api('POST', '/api/v1/clusters/c1/attachments/app/preview', {
      role: 'viewer',
      body: { values: { databaseConection00: 'z' } },
    });
    expect(problemOf(res, 422, 'PROFILE_COMPOSITION_INVALID').issues?.map((i) => i.message)).toEqual([
      'unknown variable "databaseConection00" for profile "app"; did you mean "databaseConnection00"?',
    ]);
  });
});

describe('a body of many bad entries (review 14, finding 5)', () => {
  it(`is described by its first ${MAX_INPUT_ISSUES} issues and a count of the rest`, async () => {
    const values = Object.fromEntries(Array.from({ length: MAX_VARIABLE_VALUES }, (_, i) => [`v${i}`, i]));
    const res = await t.api('POST', '/api/v1/clusters/c1/attachments/app/preview', {
      role: 'viewer',
      body: { values },
    });
    const { detail } = problemOf(res, 400, 'INVALID_REQUEST');
    expect(detail.split('; ')).toHaveLength(MAX_INPUT_ISSUES + 1);
    expect(detail).toMatch(/^body values\.v0: Invalid input: expected string, received number; /);
    expect(detail).toMatch(new RegExp(`; and ${MAX_VARIABLE_VALUES - MAX_INPUT_ISSUES} more$`));
  });
});
