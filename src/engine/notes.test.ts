import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChartSourceKind, type ChartSource, type HelmPack } from '../profile/index.js';
import { linkChainChart, rawTarGz, starPrefixChart, type RawEntry } from '../profile/testing/raw-tar.js';
import { KEPT_TEXT_MAX } from '../shared/kept-text.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { chartWithNotes, notesText, templateWithNotes } from './notes.js';
import { helmPack } from './testing/packs.js';
import { helmBin } from './testing/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-notes-test-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const text = (s: string) => Buffer.from(s);
const chartYaml = { path: 'web/Chart.yaml', content: text('apiVersion: v2\nname: web\nversion: 0.1.0\n') };
const notes = { path: 'web/templates/NOTES.txt', content: text('{{ .Files.Get "files/k" }}') };

/** The archive written to a file, as the hub's chart cache holds a pinned chart. */
function archive(name: string, entries: readonly RawEntry[]): string {
  const file = join(dir, `${name}.tgz`);
  writeFileSync(file, rawTarGz(entries));
  return file;
}

const pack = (chart: ChartSource, values: Record<string, unknown> = {}): HelmPack =>
  helmPack({ chart, values });

const remote: ChartSource = {
  kind: ChartSourceKind.Repo,
  repo: 'https://charts.example.invalid',
  name: 'web',
  version: '0.1.0',
};

describe('a chart archive written out for a render (review 8, items 1, 2 and 9)', () => {
  it('refuses a chain of links that leads out of the folder, though each target reads as inside', async () => {
    const secret = join(dir, 'secret.key');
    writeFileSync(secret, 'secret-line\n');
    const file = join(dir, 'chain.tgz');
    writeFileSync(file, linkChainChart('web', secret));
    const error = await templateWithNotes(pack(remote), { helmBin: helmBin(), chartFile: file }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe(EngineErrorCode.RenderFailed);
    expect((error as EngineError).message).toBe(
      'pack web: cannot read its chart "web" version 0.1.0 from https://charts.example.invalid (the archive ' +
        'pinned at publish): entry "web/files/k" is a SymbolicLink; only regular files are allowed (no links or devices)',
    );
    expect((error as EngineError).message).not.toContain('secret-line');
  });

  it('refuses a hard link and a device too', async () => {
    const link = archive('hardlink', [chartYaml, { path: 'web/h', type: 'Link', linkpath: '/etc/passwd' }]);
    await expect(chartWithNotes(link)).rejects.toThrow('entry "web/h" is a Link');
    const device = archive('device', [chartYaml, { path: 'web/d', type: 'CharacterDevice' }]);
    await expect(chartWithNotes(device)).rejects.toThrow('entry "web/d" is a CharacterDevice');
  });

  it('refuses an archive that unpacks to more than 20 MiB, before writing it out', async () => {
    const big = Buffer.alloc(21 * 1024 * 1024);
    const file = archive('bomb', [chartYaml, { path: 'web/files/zeros', content: big }]);
    await expect(chartWithNotes(file)).rejects.toThrow(
      'chart archive: the chart with its subcharts unpacks to more than 20971520 bytes (20 MiB), the limit',
    );
  });

  it("refuses a values schema whose $ref helm's validator would load, in the chart or a subchart archive", async () => {
    const schema = (ref: string) => text(JSON.stringify({ properties: { a: { $ref: ref } } }));
    await expect(
      chartWithNotes(
        archive('schema-url', [
          chartYaml,
          { path: 'web/values.schema.json', content: schema('http://10.0.0.1/') },
        ]),
      ),
    ).rejects.toThrow(
      'web/values.schema.json: "$ref" at /properties/a is "http://10.0.0.1/"; a values schema may only refer inside itself',
    );
    const sub = rawTarGz([
      { path: 'db/Chart.yaml', content: text('apiVersion: v2\nname: db\nversion: 0.1.0\n') },
      { path: 'db/values.schema.json', content: schema('file:///etc/passwd') },
    ]);
    await expect(
      chartWithNotes(archive('schema-sub', [chartYaml, { path: 'web/charts/db-0.1.0.tgz', content: sub }])),
    ).rejects.toThrow(
      'web/charts/db-0.1.0.tgz: db/values.schema.json: "$ref" at /properties/a is "file:///etc/passwd"',
    );
  });

  it('refuses a subchart archive with a header Go reads apart from node-tar, and helm loads nothing (review 9, item 2)', async () => {
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(request.url ?? '');
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/evil.json`;
      const file = join(dir, 'star.tgz');
      writeFileSync(file, starPrefixChart('web', url));
      const outcome = await templateWithNotes(pack(remote), { helmBin: helmBin(), chartFile: file }).then(
        () => 'rendered',
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      expect(requests).toEqual([]);
      expect(outcome).toContain(
        'subchart archive "web/charts/sub.tgz": entry "' +
          `${'S'.repeat(124)}/charts1/hidden.tgz": its header has the star trailer (tar\\0 at offset 508)`,
      );
    } finally {
      server.close();
    }
  });

  it('keeps helm validating the values against a schema that refers inside itself', async () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      definitions: { port: { type: 'integer', minimum: 1 } },
      properties: { port: { $ref: '#/definitions/port' } },
    };
    const file = archive('schema-ok', [
      chartYaml,
      { path: 'web/values.schema.json', content: text(JSON.stringify(schema)) },
      {
        path: 'web/templates/cm.yaml',
        content: text(
          'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\ndata: { port: "{{ .Values.port }}" }\n',
        ),
      },
    ]);
    const out = await templateWithNotes(pack(remote, { port: 80 }), { helmBin: helmBin(), chartFile: file });
    expect(out).toContain('port: "80"');
    await expect(
      templateWithNotes(pack(remote, { port: 'eighty' }), { helmBin: helmBin(), chartFile: file }),
    ).rejects.toThrow(/port/);
  });

  it('writes out regular files and folders as they are in the archive', async () => {
    const file = archive('plain', [
      chartYaml,
      notes,
      { path: 'web/files/k', content: text('from-the-chart') },
    ]);
    const copy = await chartWithNotes(file);
    try {
      expect(copy.hasNotes).toBe(true);
      expect(existsSync(join(copy.chart, 'files', 'k'))).toBe(true);
    } finally {
      copy.remove();
    }
    const out = await templateWithNotes(pack(remote), { helmBin: helmBin(), chartFile: file });
    expect(out).toContain('from-the-chart');
  });
});

describe('notesText', () => {
  it("keeps no terminal control of a chart's NOTES, and its lines (review 10, finding 5)", () => {
    const text = 'Visit http://web\n\x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[2J\u202eevil\n\tdone\n';
    expect(
      notesText({ apiVersion: 'strata.dev/v1', kind: 'HelmNotes', metadata: { name: 'notes' }, text }),
    ).toBe('Visit http://web\n]52;c;Y3VybCBldmlsfHNo[2Jevil\n\tdone');
  });

  it("keeps at most KEPT_TEXT_MAX characters of a chart's NOTES, as an agent's are cut", () => {
    const text = `Visit http://web\n${'x'.repeat(64 * 1024)}\n`;
    const notes = notesText({
      apiVersion: 'strata.dev/v1',
      kind: 'HelmNotes',
      metadata: { name: 'notes' },
      text,
    });
    expect(notes).toHaveLength(KEPT_TEXT_MAX);
    expect(notes).toMatch(/^Visit http:\/\/web\nx+…\[\d+ more characters cut by the hub\]$/u);
  });
});
