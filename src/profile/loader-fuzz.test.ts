// Fuzz test of the profile loader with hostile input: random YAML-ish text, deep nesting, alias cycles and
// bombs, huge strings, odd tags and directives, values starting with `-`, hostile paths. Fixed seed, bounded
// runs and time. Whatever comes in, the loader answers (never throws), with a profile or with issues that
// each carry a file, a line, a column, a path and a message, and quickly.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProfileResult } from './errors.js';
import { diskFiles } from './disk-files.js';
import { loadProfileText } from './load.js';
import { parseProfiles } from './parse.js';

const SEED = 20261206;
/** Per input, loosely: the point is "does not hang", not a benchmark. */
const BUDGET_MS = 2000;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'strata-fuzz-'));
});

function expectAnswered(result: ProfileResult<unknown>, file: string | undefined): void {
  if (result.ok) return;
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    if (file === undefined) expect(issue.file.length).toBeGreaterThan(0);
    else expect(issue.file).toBe(file);
    expect(Number.isInteger(issue.line) && issue.line >= 1).toBe(true);
    expect(Number.isInteger(issue.column) && issue.column >= 1).toBe(true);
    expect(typeof issue.path).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
    expect(issue.message).not.toMatch(/\n\s+at /); // never a stack trace
  }
}

async function check(text: string): Promise<void> {
  const start = performance.now();
  let parsed: ProfileResult<unknown> | undefined;
  let loaded: ProfileResult<unknown> | undefined;
  try {
    parsed = parseProfiles(text, { file: 'fuzz.yaml' });
    loaded = await loadProfileText(text, { files: diskFiles(dir), displayName: 'fuzz.yaml' });
  } catch (error) {
    throw new Error(`the loader threw on ${JSON.stringify(text.slice(0, 200))}: ${String(error)}`, {
      cause: error,
    });
  }
  expect(performance.now() - start).toBeLessThan(BUDGET_MS);
  expectAnswered(parsed, 'fuzz.yaml');
  // Issues from manifest files name those files; the profile's own issues name the profile.
  expectAnswered(loaded, undefined);
}

/** Pieces of YAML syntax, glued at random: the parser must survive any arrangement of them. */
const token = fc.constantFrom(
  '[',
  ']',
  '{',
  '}',
  ', ',
  ': ',
  '- ',
  '\n',
  '  ',
  '---\n',
  '...\n',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '!foo ',
  '!!binary ',
  '!!str ',
  '%TAG ! tag:x,1:\n',
  '%FOO\n',
  '%YAML 1.2\n',
  '"',
  "'",
  '|\n',
  '>\n',
  '# c\n',
  '? ',
  '{{ .strata.var.x',
  '}}',
  'strata',
  '-x',
  '--post-renderer=/bin/sh',
  '\u0000',
  '\t',
  'packs',
  'spec',
);
const yamlSoup = fc
  .array(fc.oneof(token, fc.string({ maxLength: 8 })), { maxLength: 120 })
  .map((parts) => parts.join(''));

const HEAD =
  'apiVersion: strata.dev/v1alpha1\nkind: ClusterProfile\nmetadata: { name: demo }\nspec:\n  version: 1.0.0\n  type: full\n';

/** A pack whose one field is replaced by a hostile value, inside an otherwise valid profile. */
const hostileValue = fc.oneof(
  fc.string({ maxLength: 40 }).map((s) => JSON.stringify(`-${s}`)),
  fc.nat({ max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.nat({ max: 3000 }).map((n) => '{a: '.repeat(n) + 'x' + '}'.repeat(n)),
  fc.constantFrom(
    '&d {a: b, c: *d}',
    '&d [*d]',
    '!foo bar',
    '!!set {a}',
    '"/etc/passwd"',
    '"../../.strata/admin-token"',
    '"charts\\\\..\\\\x"',
    '"a\\0b"',
    '"oci://user:pw@ghcr.io/x:1"',
    '"https://u:p@example.com"',
    '"(a+)+$"',
    '"{{ .strata.var.x"',
  ),
  fc.nat({ max: 300_000 }).map((n) => JSON.stringify('a'.repeat(n))),
);
const field = fc.constantFrom(
  'name',
  'version',
  'releaseName',
  'namespace',
  'chart',
  'values',
  'manifests',
  'files',
  'dependsOn',
  'timeout',
);
const hostileProfile = fc
  .record({ field, value: hostileValue, helm: fc.boolean() })
  .map(({ field, value, helm }) => {
    const pack: Record<string, string> = helm
      ? {
          name: 'web',
          layer: 'addon',
          version: '1.0.0',
          type: 'helm',
          chart: '{ repo: "https://c.example.com", name: web }',
        }
      : {
          name: 'web',
          layer: 'addon',
          version: '1.0.0',
          type: 'manifest',
          manifests: '[{ apiVersion: v1, kind: ConfigMap, metadata: { name: cm } }]',
        };
    pack[field] = value;
    const lines = Object.entries(pack).map(([key, v], i) => `${i === 0 ? '    - ' : '      '}${key}: ${v}`);
    return `${HEAD}  packs:\n${lines.join('\n')}\n`;
  });

/** A billion-laughs document, and a regex ReDoS in a variable: the two known worst cases. */
const worstCases = fc.constantFrom(
  `${HEAD}  variables: [{ name: x, regex: "(a+)+$", default: "${'a'.repeat(50_000)}!" }]\n  packs: [{ name: w, layer: addon, version: 1.0.0, type: helm, chart: { oci: "oci://r/a" } }]\n`,
  (() => {
    const layers = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      layers.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    return `${HEAD}  packs:\n    - { name: w, layer: addon, version: 1.0.0, type: helm, chart: { oci: "oci://r/a" }, values: { ${layers.join(', ')} } }\n`;
  })(),
);

describe('profile loader fuzz', () => {
  it('answers random YAML-ish text with profiles or positioned issues, never throwing', async () => {
    await fc.assert(fc.asyncProperty(yamlSoup, check), { seed: SEED, numRuns: 300 });
  });

  it('answers hostile values in every pack field: deep nesting, alias cycles, huge strings, tags, leading -', async () => {
    await fc.assert(fc.asyncProperty(hostileProfile, check), { seed: SEED, numRuns: 200 });
  }, 120_000);

  it('answers the known worst cases (alias bomb, regex ReDoS) within budget', async () => {
    await fc.assert(fc.asyncProperty(worstCases, check), { seed: SEED, numRuns: 4 });
  });
});
