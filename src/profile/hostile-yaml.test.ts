// Hostile YAML from a client: recursive aliases, alias bombs, deep nesting, odd tags and directives. Each is a
// positioned error, and no walker over parsed data overflows the stack on a cycle or deep nesting.
import { describe, expect, it } from 'vitest';
import { IssueKind } from './errors.js';
import { checkMacrosIn, DeclaredNames } from './macro-check.js';
import { forEachString, mapStrings } from './macros.js';
import { MAX_ISSUES, parseProfiles } from './parse.js';
import { Redactor } from './redact.js';
import { messages, profileText } from './testing/profiles.js';
import { MAX_DEPTH } from './walk.js';
import { readYaml, toPlainData } from './yaml-limits.js';

const parse = (text: string) => parseProfiles(text, { file: 'p.yaml' });

/** A profile with one manifest pack whose inline object carries `data` as written. */
function withData(data: string): string {
  return profileText({
    packs: `
- name: cm
  layer: addon
  version: 1.0.0
  type: manifest
  manifests:
    - apiVersion: v1
      kind: ConfigMap
      metadata: { name: cm }
      data: ${data}`,
  });
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((line) => line.includes(needle)) + 1;
}

describe('recursive aliases', () => {
  it('refuses `data: &d {a: b, c: *d}` with the position of the alias (was a 500: stack overflow)', () => {
    const text = withData('&d {a: b, c: *d}');
    const result = parse(text);
    expect(result.ok).toBe(false);
    const line = lineOf(text, '*d}');
    const column = (text.split('\n')[line - 1] ?? '').indexOf('*d}') + 1;
    expect(messages(result)).toEqual([
      `p.yaml:${line}:${column} invalid YAML: alias *d refers to a value that contains it`,
    ]);
  });

  it('refuses the same alias inside an embedded `values: |` block, positioned inside the block', () => {
    const text = profileText({
      packs: `
- name: web
  layer: addon
  version: 1.0.0
  type: helm
  chart: { repo: "https://charts.example.com", name: web }
  values: |
    data: &d {a: b, c: *d}`,
    });
    const line = lineOf(text, '*d}');
    const column = (text.split('\n')[line - 1] ?? '').indexOf('*d}') + 1;
    expect(messages(parse(text))).toEqual([
      `p.yaml:${line}:${column} spec.packs[0].values: invalid YAML: alias *d refers to a value that contains it`,
    ]);
  });

  it('refuses it in embedded `manifests: |` and in a whole document', () => {
    const manifests = profileText({
      packs: `
- name: m
  layer: addon
  version: 1.0.0
  type: manifest
  manifests: |
    apiVersion: v1
    kind: ConfigMap
    metadata: { name: cm }
    data: &d {a: b, c: *d}`,
    });
    expect(messages(parse(manifests)).join('\n')).toContain('alias *d refers to a value that contains it');
    expect(messages(parse('&top {a: *top}\n'))).toEqual([
      'p.yaml:1:10 invalid YAML: alias *top refers to a value that contains it',
    ]);
  });
});

describe('alias bombs and deep nesting', () => {
  it('refuses a billion-laughs document: more than 100 alias expansions', () => {
    const layers = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      layers.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const start = performance.now();
    const result = parse(withData(`{ ${layers.join(', ')} }`));
    expect(performance.now() - start).toBeLessThan(2000);
    expect(messages(result).join('\n')).toMatch(/invalid YAML: .*(alias|Alias)/);
  });

  it('refuses more than 100 aliases in one document, at the 101st, without resolving each against the whole text', () => {
    const aliases = Array(100_000).fill('*a').join(', ');
    const start = performance.now();
    const [message, ...rest] = messages(parse(withData(`{ a: &a x, b: [${aliases}] }`)));
    expect(performance.now() - start).toBeLessThan(10_000);
    expect(rest).toEqual([]);
    expect(message).toMatch(/^p\.yaml:\d+:\d+ invalid YAML: more than 100 aliases in one document$/);
  }, 30_000);

  it(`refuses nesting deeper than ${MAX_DEPTH} levels where it starts, counting the block levels above`, () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const at = (text: string, bracket: number) => {
      const line = lineOf(text, 'data: [');
      return `p.yaml:${line}:${(text.split('\n')[line - 1] ?? '').indexOf('[') + bracket}`;
    };
    // 6 block and flow levels hold `data` (document, spec, packs, the pack, manifests, the object).
    const mixed = withData(deep(MAX_DEPTH - 3));
    expect(messages(parse(mixed))).toEqual([
      `${at(mixed, MAX_DEPTH - 6 + 1)} invalid YAML: nested deeper than ${MAX_DEPTH} levels`,
    ]);
    const flow = withData(deep(150));
    expect(messages(parse(flow))).toEqual([
      `${at(flow, MAX_DEPTH + 1)} invalid YAML: nested deeper than ${MAX_DEPTH} levels`,
    ]);
  });

  it('refuses a megabyte of nested brackets before the parser spends seconds on it', () => {
    const text = withData('['.repeat(500_000) + ']'.repeat(500_000));
    const start = performance.now();
    const lines = messages(parse(text));
    expect(performance.now() - start).toBeLessThan(2000);
    expect(lines).toEqual([
      expect.stringMatching(/^p\.yaml:\d+:\d+ invalid YAML: nested deeper than 100 levels$/),
    ]);
  });

  it('refuses nesting that only grows too deep once aliases are expanded, at the path where it does', () => {
    const nest = (n: number, inner: string) => '['.repeat(n) + inner + ']'.repeat(n);
    const text = withData(`{ a: &a ${nest(60, 'x')}, b: ${nest(60, '*a')} }`);
    const [message] = messages(parse(text));
    expect(message).toMatch(
      /^p\.yaml:\d+:\d+ spec\.packs\[0\]\.manifests\[0\]\.data\.b(\[0\])+: invalid YAML: the value is nested deeper than 100 levels$/,
    );
  });
});

describe('anchors', () => {
  it('are dropped when no alias names them, before conversion (anchored collection keys: quadratic, 26 s)', () => {
    const [doc] = readYaml('? &k [a]\n: &v 1\nx: &used 2\ny: *used\n').docs;
    if (doc === undefined) throw new Error('no document');
    expect(toPlainData(doc)).toEqual({ ok: true, value: { '[ a ]': 1, x: 2, y: 2 } });
    expect(doc.toString()).toBe('? [ a ]\n: 1\nx: &used 2\ny: *used\n');
  });
});

describe('duplicate keys', () => {
  it('refuses a repeated key at the repeat', () => {
    const text = withData('{ a: 1, b: 2, a: 3 }');
    const line = lineOf(text, '{ a: 1');
    const column = (text.split('\n')[line - 1] ?? '').lastIndexOf('a: 3') + 1;
    expect(messages(parse(text))).toEqual([`p.yaml:${line}:${column} invalid YAML: Map keys must be unique`]);
  });

  it('checks 30,000 keys in linear time (the yaml library compared each key with every earlier one: minutes)', () => {
    const keys = Array.from({ length: 30_000 }, (_, i) => `k${i}: v`).join(', ');
    const start = performance.now();
    const result = parse(withData(`{ ${keys} }`));
    expect(performance.now() - start).toBeLessThan(10_000);
    expect(result.ok).toBe(true);
  }, 30_000);
});

describe('tags and directives', () => {
  it('refuses unknown tags at the tagged value: `!foo`, and YAML 1.1 types like `!!binary`', () => {
    const text = withData('{ a: !foo b, c: !!binary aGk= }');
    const line = lineOf(text, '!foo');
    const row = text.split('\n')[line - 1] ?? '';
    expect(messages(parse(text))).toEqual([
      `p.yaml:${line}:${row.indexOf('!foo b') + 6} invalid YAML: tag !foo is not supported`,
      `p.yaml:${line}:${row.indexOf('aGk=') + 1} invalid YAML: tag !!binary is not supported`,
    ]);
  });

  it(`answers a file of 20,000 bad directives with ${MAX_ISSUES} issues and a count of the rest`, () => {
    const lines = messages(parse('%FOO\n'.repeat(20_000) + '---\n'));
    expect(lines).toHaveLength(MAX_ISSUES + 1);
    expect(lines[0]).toBe('p.yaml:1:1 invalid YAML: directive %FOO is not supported; only %YAML is');
    expect(lines.at(-1)).toBe(
      `p.yaml:${MAX_ISSUES + 1}:1 ${20_000 - MAX_ISSUES} more problems not shown; fix the ones above first`,
    );
  });

  it('accepts core-schema tags like !!str', () => {
    expect(parse(withData('{ a: !!str 1 }')).ok).toBe(true);
  });

  it('refuses %TAG and unknown directives, and accepts %YAML', () => {
    const body = withData('{ a: b }');
    expect(messages(parse(`%TAG !x! tag:example.com,2000:\n---\n${body}`))).toEqual([
      'p.yaml:1:1 invalid YAML: directive %TAG is not supported; only %YAML is',
    ]);
    expect(messages(parse(`%FOO bar\n---\n${body}`))).toContain(
      'p.yaml:1:1 invalid YAML: directive %FOO is not supported; only %YAML is',
    );
    expect(parse(`%YAML 1.2\n---\n${body}`).ok).toBe(true);
  });
});

describe('walkers over parsed data', () => {
  const cyclic = (): Record<string, unknown> => {
    const data: Record<string, unknown> = { a: 'hunter2 {{ .strata.var.x }}' };
    data.self = data;
    return data;
  };
  const deep = (levels: number): unknown => {
    let node: unknown = 'hunter2';
    for (let i = 0; i < levels; i++) node = { next: node };
    return node;
  };

  it('redaction replaces a cycle and a 100,000-level value with a placeholder instead of overflowing', () => {
    const redactor = new Redactor(['hunter2']);
    expect(redactor.redactDeep(cyclic())).toEqual({
      a: '****** {{ .strata.var.x }}',
      self: '[omitted: the value contains itself (a recursive YAML alias)]',
    });
    const text = JSON.stringify(redactor.redactDeep(deep(100_000)));
    expect(text).toContain(`[omitted: the value is nested deeper than ${MAX_DEPTH} levels]`);
    expect(text).not.toContain('hunter2');
  });

  it('macro checks report a cycle or too deep a value as a problem at its path, and still check the rest', () => {
    const problems = checkMacrosIn(cyclic(), {
      pack: 'p',
      path: ['files', 0],
      declared: new DeclaredNames([]),
    });
    expect(problems.map((p) => [p.kind, p.path.join('.')])).toEqual([
      [IssueKind.UnknownVariable, 'files.0.a'],
      [IssueKind.Yaml, 'files.0.self'],
    ]);
    const seen: string[] = [];
    forEachString(deep(100_000), (text) => seen.push(text));
    expect(seen).toEqual([]);
    expect(mapStrings(deep(3), (t) => t.toUpperCase())).toEqual({ next: { next: { next: 'HUNTER2' } } });
  });
});

describe('unclosed macros', () => {
  it('refuses `{{ .strata.var.x` with no `}}`, positioned at the string, and leaves other `{{` alone', () => {
    const text = withData('{ a: "v {{ .strata.var.x" }').replace(
      '  packs:',
      '  variables:\n    - name: x\n  packs:',
    );
    const line = lineOf(text, '{{ .strata');
    const column = (text.split('\n')[line - 1] ?? '').indexOf('"v {{') + 1;
    expect(messages(parse(text))).toEqual([
      `p.yaml:${line}:${column} spec.packs[0].manifests[0].data.a: unclosed macro "{{ .strata.var.x"; expected }} to close it (pack "cm")`,
    ]);
    expect(parse(withData('{ a: "{{ .Values.x" }')).ok).toBe(true);
  });

  it('finds macros in linear time: a megabyte of `{{` returns at once', () => {
    const start = performance.now();
    const problems = checkMacrosIn(
      { a: '{{'.repeat(500_000) + ' strata' },
      { pack: 'p', path: [], declared: new DeclaredNames([]) },
    );
    expect(performance.now() - start).toBeLessThan(2000);
    expect(problems).toHaveLength(1);
  });
});
