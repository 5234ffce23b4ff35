// The shared YAML parse: the library's duplicate-key errors, exactly, without its quadratic check.
import * as yaml from 'yaml';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseAllYamlDocuments, parseYamlDocument, parseYamlValue, yamlDocuments } from './yaml-parse.js';

// The library itself, its parse functions watched: which options the helper hands them.
vi.mock('yaml', async (importOriginal) => {
  const original = await importOriginal<typeof import('yaml')>();
  return {
    ...original,
    parse: vi.fn(original.parse),
    parseDocument: vi.fn(original.parseDocument),
    parseAllDocuments: vi.fn(original.parseAllDocuments),
    // What yamlDocuments composes with, one document at a time.
    Composer: vi.fn(function Composer(options?: yaml.DocumentOptions) {
      return new original.Composer(options);
    }),
  };
});

const long = 'x'.repeat(100);

/** Texts with repeated keys in every shape the library compares: block, flow, nested, as keys, tagged, typed. */
const texts = {
  block: 'a: 1\nb: 2\na: 3\n',
  nested: 'top:\n  a: 1\n  b: 2\n  a: 3\n',
  flow: '{ a: 1, b: 2, a: 3 }',
  'in a flow sequence': '- a: 1\n  a: 2\n- [x: 1, x: 2]\n',
  'quoted and plain': '"a": 1\na: 2\n',
  'equal numbers, not the string': '1: a\n0x1: b\n"1": c\n',
  'NaN never equal, -0 equal to 0': '.nan: 1\n.nan: 2\n0: a\n-0: b\n',
  'with an anchor and a tag': '&x a: 1\n!!str a: 2\n',
  'empty keys': ': a\n: b\n',
  'booleans spelled apart': 'true: 1\nTrue: 2\n',
  'collection keys, and a mapping inside a key': '? [a]\n: 1\n? [a]\n: 2\n? { b: 1, b: 2 }\n: 3\n',
  'merge keys': 'a: &m {x: 1}\nb:\n  <<: *m\n  <<: *m\n',
  'a long line, cut in the context': `${long}: 1\nk: [1, 2]\n${long}: 2\n`,
  'far into a long line': `k: { ${'y'.repeat(70)}: 1, b: 2, b: 3 }\n`,
  'at the start of a line, after blank lines': '\n\n  a: 1\n  a: 2\n',
  'CRLF line ends': 'a: 1\r\na: 2\r\n',
  'between syntax errors': 'a: 1\nb: "\\q"\na: 2\nc: "\\z"\n',
  'in two documents': 'a: 1\na: 2\n---\nb: 1\nb: 2\nc: "\\q"\n',
  // The library's own errors and warnings, prettified the same way.
  'far into a long line of errors': `a: [${'"x", '.repeat(30)}"\\q", "\\q"]\nb: [${'"x", '.repeat(10)}\n`,
  'errors wider than one character': 'a: b: c\nkey with\n  two lines: x\n',
  'after a long line': `${long}: 1\n"\\q": 2\n`,
  'a warning (unknown tag)': 'a: !foo x\nb: !!binary aGk=\n',
  'carriage returns': 'a: "\\q"\r\r\nb: 1\r\n',
  'an alias to no anchor': 'a: *nope\n',
};

const errorsOf = (docs: readonly yaml.Document.Parsed[]): unknown[] =>
  docs.map((doc) =>
    [...doc.errors, ...doc.warnings].map((e) => ({
      code: e.code,
      message: e.message,
      pos: e.pos,
      at: e.linePos,
    })),
  );

beforeEach(() => {
  vi.clearAllMocks();
});

describe('parseAllYamlDocuments and parseYamlDocument', () => {
  it('never let the library check duplicate keys itself (its check compares each key with every earlier one)', () => {
    const text = Object.values(texts).join('\n---\n');
    parseAllYamlDocuments(text);
    parseAllYamlDocuments(text, { prettyErrors: false, merge: true });
    parseYamlDocument(texts.block, { merge: true });
    expect(() => parseYamlValue(texts.block)).toThrow('Map keys must be unique');
    const calls = [
      ...vi.mocked(yaml.parse).mock.calls.map((call) => call[2]),
      ...vi.mocked(yaml.parseDocument).mock.calls.map((call) => call[1]),
      ...vi.mocked(yaml.parseAllDocuments).mock.calls.map((call) => call[1]),
      ...vi.mocked(yaml.Composer).mock.calls.map((call) => call[0]),
    ];
    expect(calls).toHaveLength(4);
    for (const options of calls) expect(options).toMatchObject({ uniqueKeys: false });
  });

  for (const [shape, text] of Object.entries(texts)) {
    it(`report the errors and warnings the library reports with uniqueKeys on: ${shape}`, () => {
      for (const options of [{}, { prettyErrors: false }, { merge: true }]) {
        const library = yaml.parseAllDocuments(text, { ...options, uniqueKeys: true });
        expect(errorsOf(parseAllYamlDocuments(text, options))).toEqual(
          errorsOf(Array.isArray(library) ? library : []),
        );
        const single = yaml.parseDocument(text, { ...options, uniqueKeys: true });
        expect(errorsOf([parseYamlDocument(text, options)])).toEqual(errorsOf([single]));
      }
    });
  }

  it('take the caller’s line counter, so the caller can position the errors', () => {
    const lineCounter = new yaml.LineCounter();
    const [doc] = parseAllYamlDocuments('a: 1\nb: 2\na: 3\n', { lineCounter, prettyErrors: false });
    expect(doc?.errors.map((e) => [e.message, lineCounter.linePos(e.pos[0])])).toEqual([
      ['Map keys must be unique', { line: 3, col: 1 }],
    ]);
  });

  it('accept a document without repeated keys, as data', () => {
    expect(parseYamlValue('a: 1\nb: [x, y]\n"1": 2\n1: 3\n')).toEqual({ a: 1, b: ['x', 'y'], '1': 3 });
  });

  it('refuse more than 100 aliases in one document, at the 101st (each is looked up among all before it)', () => {
    const text = `a: &a x\nb: [${Array(101).fill('*a').join(', ')}]\n---\nc: &c x\nd: [${Array(100).fill('*c').join(', ')}]\n`;
    const [tooMany, enough] = parseAllYamlDocuments(text, { prettyErrors: false });
    const offset = text.indexOf('*a') + 100 * '*a, '.length;
    expect(tooMany?.errors.map((e) => [e.code, e.message, e.pos[0]])).toEqual([
      ['RESOURCE_EXHAUSTION', 'more than 100 aliases in one document', offset],
    ]);
    expect(enough?.errors).toEqual([]);
  });

  it('drop the anchors no alias names, so a collection key converts without going through them all', () => {
    const text = '? &k [a]\n: &v 1\nx: &used {y: 2}\nz: *used\n';
    const doc = parseYamlDocument(text);
    expect(doc.toString()).toBe('? [ a ]\n: 1\nx: &used { y: 2 }\nz: *used\n');
    expect(doc.toJS()).toEqual({ '[ a ]': 1, x: { y: 2 }, z: { y: 2 } });
    // The same value as the library reads with every anchor kept.
    expect(doc.toJS()).toEqual(yaml.parseDocument(text).toJS());
  });

  it('prettify 40,000 errors on one 200 KB line in one pass (the library copied the line for each: 15 s)', () => {
    const text = `a: [${Array(40_000).fill('"\\q"').join(',')}]\n`;
    const [doc] = parseAllYamlDocuments(text);
    expect(doc?.errors).toHaveLength(40_000);
    expect(doc?.errors[39_999]?.message).toMatch(
      /^Invalid escape sequence \\q at line 1, column 200001:\n\n…/,
    );
    expect(vi.mocked(yaml.Composer).mock.calls[0]?.[0]).toMatchObject({ prettyErrors: false });
  }, 60_000);

  it('read 100,000 keys of one mapping, finding the one repeat (the library alone took minutes)', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `  k${i.toString(36)}: v\n`).join('');
    const [doc] = parseAllYamlDocuments(`data:\n${keys}  k0: again\n`, { prettyErrors: false });
    expect(doc?.errors.map((e) => e.message)).toEqual(['Map keys must be unique']);
  }, 60_000);
});

describe('yamlDocuments', () => {
  it('gives each document, complete, before it reads the next: one syntax tree held at a time', () => {
    const lineCounter = new yaml.LineCounter();
    const text = Array.from({ length: 1000 }, (_, i) => `a: ${i}\na: again\nb: "\\q"\n`).join('---\n');
    let read = 0;
    for (const doc of yamlDocuments(text, { lineCounter })) {
      // The document's own errors are in (the repeated key and the bad escape, prettified), while the
      // parser has read at most one document further (4 lines each).
      expect(doc.errors.map((e) => e.code)).toEqual(['DUPLICATE_KEY', 'BAD_DQ_ESCAPE']);
      expect(doc.errors[0]?.message).toMatch(/^Map keys must be unique at line \d+, column 1/);
      expect(lineCounter.lineStarts.length).toBeLessThanOrEqual((read + 2) * 4 + 1);
      read++;
    }
    expect(read).toBe(1000);
    expect(errorsOf([...yamlDocuments(text)])).toEqual(errorsOf(parseAllYamlDocuments(text)));
  });
});

describe('parseYamlValue', () => {
  it('throws the first error, as the library’s parse does', () => {
    expect(() => parseYamlValue('a: "\\q"\na: 2\n')).toThrow(/^Invalid escape sequence/);
    expect(() => parseYamlValue('a: 1\n---\nb: 2\n')).toThrow(/multiple documents/);
  });

  it('expands an alias at most maxAliasCount times (the library’s default: 100)', () => {
    const ten = (alias: string) => `[${Array(10).fill(alias).join(', ')}]`;
    const bomb = `a: &a [x]\nb: &b ${ten('*a')}\nc: &c ${ten('*b')}\nd: ${ten('*c')}\n`;
    expect(() => parseYamlValue(bomb)).toThrow(/Excessive alias count/);
    expect((parseYamlValue(bomb, { maxAliasCount: -1 }) as { d: unknown[] }).d).toHaveLength(10);
  });
});
