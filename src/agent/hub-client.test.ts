// Review 10, findings 7 and 8, on the agent's side: it follows no redirect (its token and the desired state it
// trusts would come from another host) and sends its token over plain http:// only to this machine unless told.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HubClient, HubFailure, HubRequestError } from './hub-client.js';

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

describe('the agent hub client', () => {
  it('names a redirect and where it points, and never asks there', async () => {
    const elsewhere: string[] = [];
    const other = await listen((req, res) => {
      elsewhere.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const hub = await listen((_req, res) => {
      res.writeHead(302, { location: `${other}/steal` }).end();
    });
    const error = await new HubClient({ hub, token: 't' }).desired().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubRequestError);
    expect(error).toMatchObject({
      kind: HubFailure.Rejected,
      message: `hub ${hub} answered GET /api/v1/agent/desired with a redirect (302) to ${other}: the agent does not follow redirects; set its hub URL to the hub's own`,
    });
    expect(elsewhere).toEqual([]);
  });

  it('refuses a plain http:// hub on another machine unless told, naming it', () => {
    expect(() => new HubClient({ hub: 'http://hub.example:7400', token: 't' })).toThrow(
      'the hub URL: http://hub.example:7400 is plain http:// to another machine',
    );
    expect(
      () => new HubClient({ hub: 'http://hub.example:7400', token: 't', insecureHttp: true }),
    ).not.toThrow();
    expect(() => new HubClient({ hub: 'https://hub.example', token: 't' })).not.toThrow();
    expect(() => new HubClient({ hub: 'http://127.0.0.1:7400', token: 't' })).not.toThrow();
  });
});
