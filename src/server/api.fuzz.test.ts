// Fuzzing the API from its own OpenAPI document (issue 12, "Tests"): fast-check picks an operation of the
// live document, a role, path parameters, a query and a body (shaped after the operation's schema, or not),
// and a media type. Whatever it sends: no 5xx, every error is problem+json with a code, and every 2xx
// matches its schema (the test hub validates each response against it and answers 500 when it does not, so
// "no 5xx" covers that). Fixed seed and bounded runs: a failure reproduces, and the test cannot run away.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem.js';
import { startTestHub, type RoleName, type TestHub } from './testing/server.js';

type Json = Record<string, unknown>;

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly operationId: string;
  readonly pathParams: readonly string[];
  readonly query: readonly { name: string; schema: Json }[];
  readonly body: Json | undefined;
  readonly yaml: boolean;
  readonly stream: boolean;
}

const backend = new SqliteBackend();
let t: TestHub;
let operations: Operation[] = [];
let components: Record<string, Json> = {};

const kubeconfig = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]',
  'users: [{ name: u, user: { token: abc } }]',
  'contexts: [{ name: ctx, context: { cluster: c, user: u } }]',
  'current-context: ctx',
  '',
].join('\n');

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, { server: { webRoot: false } });
  // Something for the reads to find, so 2xx answers (and their schemas) are exercised too.
  await t.store.clusters.create({ name: 'fuzz', kubeconfig });
  const doc = (await t.api('GET', '/api/v1/openapi.json')).json as {
    paths: Record<string, Record<string, Json>>;
    components: { schemas: Record<string, Json> };
  };
  components = doc.components.schemas;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const parameters = (op.parameters ?? []) as { name: string; in: string; schema: Json }[];
      const content = ((op.requestBody as Json | undefined)?.content ?? {}) as Record<
        string,
        { schema: Json }
      >;
      const ok = (op.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: String(op.operationId),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query'),
        body: content['application/json']?.schema,
        yaml: 'application/yaml' in content,
        stream: Object.keys(ok['200']?.content ?? {}).includes('text/event-stream'),
      });
    }
  }
  // Revoking tokens would only make later runs 401s; the last admin token is protected anyway.
  operations = operations.filter((op) => op.operationId !== 'revokeToken');
});

afterAll(async () => {
  await t.close();
  await backend.teardown();
});

const nasty = fc.constantFrom(
  '',
  ' ',
  '..',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\u202e',
  'fuzz',
  'a'.repeat(100),
  'a'.repeat(101),
  '-1',
  '1e309',
  'NaN',
  'true',
  'null',
  '{}',
  '[]',
  '<script>',
  "'; drop table tokens; --",
  '(a+)+$',
  '{{ .strata.var.x',
);
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), nasty);

/** A value for a JSON Schema: mostly of its shape (so validation gets past the first field), sometimes not. */
function valueFor(schema: Json | undefined, depth: number): fc.Arbitrary<unknown> {
  const junk = fc.jsonValue({ maxDepth: 2 });
  if (schema === undefined || depth > 3) return junk;
  const ref = schema.$ref;
  if (typeof ref === 'string') return valueFor(components[ref.split('/').at(-1) ?? ''], depth + 1);
  const shaped = ((): fc.Arbitrary<unknown> | undefined => {
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
    if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
      const options = (schema.anyOf ?? schema.oneOf) as Json[];
      return fc.oneof(...options.map((option) => valueFor(option, depth + 1)));
    }
    switch (schema.type) {
      case 'string':
        return text;
      case 'integer':
        return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 53));
      case 'number':
        return fc.double();
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(valueFor(schema.items as Json | undefined, depth + 1), { maxLength: 3 });
      case 'object': {
        const properties = (schema.properties ?? {}) as Record<string, Json>;
        const names = Object.keys(properties);
        if (names.length === 0) return fc.dictionary(text, junk, { maxKeys: 3 });
        return fc.record(
          Object.fromEntries(names.map((name) => [name, valueFor(properties[name], depth + 1)])),
          { requiredKeys: [] },
        );
      }
      default:
        return undefined;
    }
  })();
  return shaped === undefined
    ? junk
    : fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: junk });
}

interface Case {
  readonly operation: Operation;
  readonly role: RoleName;
  readonly params: readonly string[];
  readonly query: readonly [string, string][];
  readonly body: { readonly type: string | undefined; readonly text: string } | undefined;
}

const caseArbitrary = fc.integer({ min: 0, max: 1000 }).chain((index) => {
  const operation = operations[index % operations.length] as Operation;
  const bodyText = fc.oneof(
    { weight: 5, arbitrary: valueFor(operation.body, 0).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[1,]', '\u0000', '{"__proto__":{"x":1}}') },
    { weight: 1, arbitrary: text.map((s) => `apiVersion: strata.dev/v1alpha1\nkind: ${s}\n`) },
  );
  const type = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('application/yaml', 'text/plain', 'application/json; charset=latin1'),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc.record({
    operation: fc.constant(operation),
    role: fc.constantFrom<RoleName>('none', 'viewer', 'operator', 'admin', 'admin', 'admin'),
    params: fc.array(text, {
      minLength: operation.pathParams.length,
      maxLength: operation.pathParams.length,
    }),
    query: fc.array(
      fc.tuple(
        operation.query.length === 0
          ? text
          : fc.oneof(fc.constantFrom(...operation.query.map((q) => q.name)), text),
        fc.oneof(text, fc.integer().map(String)),
      ),
      { maxLength: 3 },
    ),
    body: fc.option(fc.record({ type, text: bodyText }), {
      freq: operation.body === undefined ? 4 : 1,
      nil: undefined,
    }),
  });
});

async function send(c: Case): Promise<{ status: number; contentType: string; text: string }> {
  let path = c.operation.path;
  c.operation.pathParams.forEach((name, i) => {
    path = path.replace(`{${name}}`, encodeURIComponent(c.params[i] ?? ''));
  });
  const qs = new URLSearchParams(c.query.map(([k, v]): [string, string] => [k, v])).toString();
  const headers: Record<string, string> = {};
  if (c.role !== 'none') headers.authorization = `Bearer ${t.tokens[c.role]}`;
  if (c.body?.type !== undefined) headers['content-type'] = c.body.type;
  const controller = new AbortController();
  const res = await fetch(`${t.url}${path}${qs === '' ? '' : `?${qs}`}`, {
    method: c.operation.method,
    headers,
    signal: controller.signal,
    ...(c.body === undefined || c.operation.method === 'GET' ? {} : { body: c.body.text }),
  });
  const contentType = res.headers.get('content-type') ?? '';
  // A live stream does not end: its headers are the answer.
  if (contentType.startsWith('text/event-stream')) {
    controller.abort();
    return { status: res.status, contentType, text: '' };
  }
  return { status: res.status, contentType, text: await res.text() };
}

describe('the API under generated bad input', () => {
  it('answers no 5xx, only problem+json errors, and only schema-valid successes', async () => {
    expect(operations.length).toBeGreaterThan(20);
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const res = await send(c);
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        const what = `${c.operation.method} ${c.operation.path} → ${res.status} ${res.text.slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.contentType, what).toContain(PROBLEM_CONTENT_TYPE);
          const problem = ProblemSchema.safeParse(JSON.parse(res.text));
          expect(problem.success, what).toBe(true);
          expect(problem.data?.status, what).toBe(res.status);
          expect(problem.data?.code, what).toMatch(/^[A-Z][A-Z_]+$/);
        }
      }),
      { seed: 20261206, numRuns: 400, interruptAfterTimeLimit: 45_000, markInterruptAsFailure: false },
    );
    // The generator reached past validation and authorization, not just 400s.
    expect(
      [...seen.keys()].some((status) => status < 300),
      JSON.stringify([...seen]),
    ).toBe(true);
    expect(seen.get(401) ?? 0, JSON.stringify([...seen])).toBeGreaterThan(0);
    expect(seen.get(404) ?? 0, JSON.stringify([...seen])).toBeGreaterThan(0);
  }, 90_000);
});
