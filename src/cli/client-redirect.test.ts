// Review 10, finding 7: a hub (or whatever answers at its URL) that redirects must not send the CLI, and the
// answer it then trusts, to another host. Real servers on loopback and the real fetch, which follows by default.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HubClient } from './client.js';
import { loadCliConfig } from './config.js';
import { CliError } from './errors.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('HubClient and redirects', () => {
  it('names the redirect and where it points, and never asks there', async () => {
    const elsewhere: string[] = [];
    const other = await listen((req, res) => {
      elsewhere.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    const hub = await listen((_req, res) => {
      res.writeHead(307, { location: `${other}/steal` }).end();
    });
    const client = new HubClient(
      loadCliConfig({ env: { HOME: '/nonexistent', STRATA_TOKEN: 't' }, server: hub }),
    );
    const error = await client.call('listClusters', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(
      `the hub at ${hub} answered GET /api/v1/clusters with a redirect (307) to ${other}: the CLI does not follow redirects`,
    );
    await expect(client.download('/api/v1/clusters', 'application/json')).rejects.toThrow('redirect (307)');
    expect(elsewhere).toEqual([]);
  });
});
