// Reading a repository's index.yaml, which comes from a remote and is hostile until read safely.
import { describe, expect, it } from 'vitest';
import { ChartSourceKind } from '../profile/index.js';
import { fetchChart, listChartVersions } from './chart-fetch.js';
import { entriesOf, versionsOf } from './chart-index.js';

// The layout helm writes (`helm repo index`): list items at their chart's key's indentation.
const index = [
  'apiVersion: v1',
  'entries:',
  '  nginx:',
  '  - apiVersion: v2',
  '    name: nginx',
  '    urls:',
  '    - https://charts.example.com/nginx-1.1.0.tgz',
  '    version: 1.1.0',
  '  - apiVersion: v2',
  '    name: nginx',
  '    urls:',
  '    - nginx-1.0.0.tgz',
  '    version: 1.0.0',
  '  redis:',
  '  - name: redis',
  '    version: 9.0.0',
  'generated: "2026-12-06T00:00:00Z"',
  '',
].join('\n');

describe('entriesOf', () => {
  it("reads one chart's entries from helm's layout, and no other chart's", () => {
    expect(entriesOf(index, 'nginx')).toEqual([
      expect.objectContaining({ version: '1.1.0', urls: ['https://charts.example.com/nginx-1.1.0.tgz'] }),
      expect.objectContaining({ version: '1.0.0', urls: ['nginx-1.0.0.tgz'] }),
    ]);
    expect(entriesOf(index, 'redis')).toEqual([{ name: 'redis', version: '9.0.0' }]);
    expect(entriesOf(index, 'missing')).toEqual([]);
  });

  it('reads an index in another layout (flow style, JSON) whole when it is small', () => {
    const json = JSON.stringify({ entries: { web: [{ version: '2.0.0' }] } });
    expect(entriesOf(json, 'web')).toEqual([{ version: '2.0.0' }]);
  });

  it('answers no entries for a chart named like an object property (was a 500: constructor.flatMap)', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(entriesOf(index, name)).toEqual([]);
      expect(entriesOf(JSON.stringify({ entries: {} }), name)).toEqual([]);
    }
  });

  it('keeps only mapping entries, whatever else a hostile index lists', () => {
    const hostile = ['entries:', '  web:', '  - 42', '  - [1, 2]', '  - version: 1.0.0', ''].join('\n');
    expect(entriesOf(hostile, 'web')).toEqual([{ version: '1.0.0' }]);
    expect(entriesOf('entries:\n  web: "not a list"\n', 'web')).toEqual([]);
    expect(entriesOf('- just\n- a list\n', 'web')).toEqual([]);
  });

  it("refuses a chart whose entries are more than 2 MiB instead of parsing them on the hub's thread", () => {
    const many = Array.from(
      { length: 40_000 },
      (_, i) => `  - version: 1.0.${i}\n    digest: ${'f'.repeat(40)}`,
    );
    const result = entriesOf(['entries:', '  web:', ...many, ''].join('\n'), 'web');
    expect(result).toMatch(/^chart "web" takes \d+ bytes of the repository's index; the limit is 2097152$/);
  });

  it("refuses an entry with a repeated key, as before and as helm's strict index loader does", () => {
    const repeated = [
      'entries:',
      '  web:',
      '  - version: 1.0.0',
      '    urls: [a.tgz]',
      '    version: 1.0.1',
      '',
    ];
    expect(() => entriesOf(repeated.join('\n'), 'web')).toThrow(
      'Map keys must be unique at line 3, column 5:\n\n    urls: [a.tgz]\n    version: 1.0.1\n    ^\n',
    );
    expect(() => entriesOf('{entries: {web: [{version: 1.0.0, version: 2.0.0}]}}', 'web')).toThrow(
      /^Map keys must be unique at line 1, column 35:/,
    );
  });

  it('reads an entry of 100,000 keys in one pass (the yaml library compared each key with every earlier one)', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `    k${i.toString(36)}: 1`);
    const text = ['entries:', '  web:', '  - version: 1.0.0', ...keys, ''].join('\n');
    expect(entriesOf(text, 'web')).toEqual([expect.objectContaining({ version: '1.0.0', k0: 1 })]);
  }, 60_000);
});

describe('versionsOf (review 8, item 6: any viewer makes the hub read an index)', () => {
  it("reads one chart's entry versions from helm's layout, not its dependencies' or another chart's", () => {
    const withDependencies = [
      'entries:',
      '  web:',
      '  - apiVersion: v2',
      '    dependencies:',
      '    - name: crds',
      '      version: 0.0.0',
      '    version: "2.0.0" # quoted, with a comment',
      '  - version: 1.0.0',
      '    name: web',
      '  other:',
      '  - version: 9.0.0',
      '',
    ].join('\n');
    expect(versionsOf(withDependencies, 'web')).toEqual(['2.0.0', '1.0.0']);
    expect(versionsOf(index, 'nginx')).toEqual(['1.1.0', '1.0.0']);
    expect(versionsOf(index, 'missing')).toEqual([]);
    expect(
      versionsOf(['entries:', '  web:', '    - version: 3.0.0', '      name: web', ''].join('\n'), 'web'),
    ).toEqual(['3.0.0']);
  });

  it('reads a chart of more than 4 MiB of small entries in one pass, where entriesOf refuses past 2 MiB to parse', () => {
    const many = Array.from({ length: 400_000 }, (_, i) => `  - {v: ${i}}`);
    const text = ['entries:', '  web:', '  - version: 1.0.0', ...many, ''].join('\n');
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024);
    expect(entriesOf(text, 'web')).toMatch(/^chart "web" takes \d+ bytes/);
    expect(versionsOf(text, 'web')).toEqual(['1.0.0']);
  });

  it('parses an index in another layout whole only when it is small', () => {
    expect(versionsOf(JSON.stringify({ entries: { web: [{ version: '2.0.0' }] } }), 'web')).toEqual([
      '2.0.0',
    ]);
    const big = JSON.stringify({ entries: { web: [{ version: '2.0.0', pad: 'x'.repeat(300_000) }] } });
    expect(versionsOf(big, 'web')).toMatch(
      /^the repository's index is not in the layout helm writes and is \d+ bytes/,
    );
  });
});

describe('the outbound policy at every fetch', () => {
  it('refuses a chart whose URL resolves into a denied range now, before helm runs', async () => {
    // The name was checked at publish; what it resolves to may have changed since (DNS rebinding).
    const options = { helmBin: '/nonexistent/helm', deny: new Set(['loopback'] as const) };
    const repo = {
      kind: ChartSourceKind.Repo,
      repo: 'http://localhost:1/charts',
      name: 'web',
      version: '1.0.0',
    } as const;
    const oci = { kind: ChartSourceKind.Oci, ref: 'oci://127.0.0.1:1/charts/web', version: '1.0.0' } as const;
    for (const chart of [repo, oci]) {
      const listed = await listChartVersions(chart, options);
      expect(listed.ok).toBe(false);
      expect(listed.ok ? '' : listed.cause).toMatch(/in the loopback range the hub does not contact$/);
      const fetched = await fetchChart(chart, options);
      expect(fetched.ok).toBe(false);
      expect(fetched.ok ? '' : fetched.cause).toMatch(/in the loopback range the hub does not contact$/);
    }
  });
});
