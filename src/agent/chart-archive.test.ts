// The agent renders the chart archive the hub sends (agentChart) as the hub does: through templateOnce with
// its file render cache and notes.ts, so the same check refuses an archive whose links lead out of the folder.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { templateOnce } from '../engine/render-cache.js';
import { helmPack } from '../engine/testing/packs.js';
import { helmBin } from '../engine/testing/runner.js';
import { ChartSourceKind } from '../profile/index.js';
import { linkChainChart, starPrefixChart } from '../profile/testing/raw-tar.js';
import { fileRenderCache } from './file-render-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-agent-chart-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const pack = helmPack({
  chart: { kind: ChartSourceKind.Oci, ref: 'oci://registry.example.invalid/charts/web', version: '0.1.0' },
});

describe("the agent's render of a chart archive from the hub (review 8, item 1)", () => {
  it('refuses an archive whose link chain leads to the agent host, and stores no rendering', async () => {
    const token = join(dir, 'token');
    writeFileSync(token, 'agent-token\n');
    const chartFile = join(dir, 'evil.tgz');
    writeFileSync(chartFile, linkChainChart('web', token));
    const renders = join(dir, 'renders');
    const error = await templateOnce(
      pack,
      { helmBin: helmBin(), chartFile },
      {
        cache: fileRenderCache(renders),
        retry: (_what, action) => action(),
        signal: new AbortController().signal,
      },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'pack web: cannot read its chart oci://registry.example.invalid/charts/web version 0.1.0 (the archive ' +
        'pinned at publish): entry "web/files/k" is a SymbolicLink; only regular files are allowed (no links or devices)',
    );
    expect(readdirSync(renders, { recursive: true }).filter((f) => String(f).includes('web'))).toEqual([]);
  });

  it('refuses a subchart archive Go reads apart from node-tar, so helm fetches no schema (review 9, item 2)', async () => {
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(request.url ?? '');
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/evil.json`;
      const chartFile = join(dir, 'star.tgz');
      writeFileSync(chartFile, starPrefixChart('web', url));
      const error = await templateOnce(
        pack,
        { helmBin: helmBin(), chartFile },
        {
          cache: fileRenderCache(join(dir, 'star-renders')),
          retry: (_what, action) => action(),
          signal: new AbortController().signal,
        },
      ).catch((e: unknown) => e);
      expect((error as Error).message).toContain('its header has the star trailer');
      expect(requests).toEqual([]);
    } finally {
      server.close();
    }
  });
});
