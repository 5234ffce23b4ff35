// Review 10, findings 7 and 8, on the agent's side: it follows no redirect (its token and the desired state it
// trusts would come from another host) and sends its token over plain http:// only to this machine unless told.
// Item 2, chart archives: the hub sends a chart as application/octet-stream, not base64 in JSON; the client
// hashes it as it arrives, refuses one whose digest differs, and reads no more than MAX_AGENT_CHART_BYTES of an
// answer (these against a stand-in fetch).
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HubClient, HubFailure, HubRequestError } from './hub-client.js';
import { MAX_AGENT_CHART_BYTES } from './protocol.js';

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
      kind: HubFailure.Redirected,
      message: `hub ${hub} answered GET /api/v1/agent/desired with a redirect (302) to ${other}: the agent does not follow redirects; set its hub URL to the hub's own (or mend the proxy in front of it)`,
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

const sha256 = (content: Uint8Array) => createHash('sha256').update(content).digest('hex');

/** A client whose hub answers every request with `answer`, and the requests it got. */
function clientAnswering(answer: () => Response) {
  const requests: { url: string; headers: Headers }[] = [];
  const client = new HubClient({
    hub: 'https://hub.test/',
    token: 'strata_agent_x',
    fetch: (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      requests.push({ url, headers: new Headers(init?.headers) });
      return Promise.resolve(answer());
    },
  });
  return { client, requests };
}

const octets = (body: ConstructorParameters<typeof Response>[0], headers: Record<string, string> = {}) =>
  new Response(body, { status: 200, headers: { 'content-type': 'application/octet-stream', ...headers } });

async function refusal(promise: Promise<unknown>): Promise<HubRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HubRequestError);
  return error as HubRequestError;
}

describe('HubClient.chart', () => {
  it('reads the archive as bytes and checks its digest', async () => {
    const content = randomBytes(300 * 1024);
    const { client, requests } = clientAnswering(() =>
      octets(content, { 'content-length': String(content.length) }),
    );
    const got = await client.chart(sha256(content));
    expect(got.equals(content)).toBe(true);
    expect(requests[0]?.url).toBe(`https://hub.test/api/v1/agent/charts/${sha256(content)}`);
    expect(requests[0]?.headers.get('accept')).toBe('application/octet-stream');
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer strata_agent_x');
  });

  it('refuses content whose digest is not the one asked for', async () => {
    const { client } = clientAnswering(() => octets(Buffer.from('not the chart')));
    const wanted = sha256(Buffer.from('the chart'));
    const error = await refusal(client.chart(wanted));
    expect(error.kind).toBe(HubFailure.Rejected);
    expect(error.message).toBe(
      `chart ${wanted}: the hub sent content with digest ${sha256(Buffer.from('not the chart'))}`,
    );
  });

  it('refuses an answer announced over the limit without reading it', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const { client } = clientAnswering(() =>
      octets(body, { 'content-length': String(MAX_AGENT_CHART_BYTES + 1) }),
    );
    const error = await refusal(client.chart('0'.repeat(64)));
    expect(error.kind).toBe(HubFailure.Rejected);
    expect(error.message).toBe(
      `chart ${'0'.repeat(64)}: the hub announced ${MAX_AGENT_CHART_BYTES + 1} bytes, over the ${MAX_AGENT_CHART_BYTES} a chart may have`,
    );
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('stops reading an unannounced answer once it passes the limit', async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1024 * 1024;
        controller.enqueue(new Uint8Array(1024 * 1024));
      },
    });
    const { client } = clientAnswering(() => octets(body));
    const error = await refusal(client.chart('0'.repeat(64)));
    expect(error.kind).toBe(HubFailure.Rejected);
    expect(error.message).toBe(
      `chart ${'0'.repeat(64)}: the hub sent more than the ${MAX_AGENT_CHART_BYTES} bytes a chart may have`,
    );
    expect(sent).toBeLessThan(MAX_AGENT_CHART_BYTES + 4 * 1024 * 1024);
  });
});
