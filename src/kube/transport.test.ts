// The transport against tiny local HTTP servers (no control plane): what it does with answers that do not come
// from a Kubernetes API server.
import { createServer, request, type Server } from 'node:http';
import {
  connect,
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from './client.js';
import { kubeconfigFor, rejection } from './testing/remote.js';

function listen(server: Server | TcpServer): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

describe('Transport', () => {
  const hits: string[] = [];
  let elsewhere: Server;
  let redirecting: Server;
  let elsewhereUrl = '';
  let redirectingUrl = '';

  beforeAll(async () => {
    // Stands for the metadata endpoint: it must never be asked anything.
    elsewhere = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('{"AccessKeyId":"AKIA-SECRET"}');
    });
    elsewhereUrl = await listen(elsewhere);
    redirecting = createServer((req, res) => {
      res.writeHead(302, { location: `${elsewhereUrl}${req.url ?? '/'}` });
      res.end();
    });
    redirectingUrl = await listen(redirecting);
  });
  afterAll(async () => {
    await new Promise((resolve) => elsewhere.close(resolve));
    await new Promise((resolve) => redirecting.close(resolve));
  });

  // The transport follows no redirect (an API server sends none): a server cannot send the hub on to another
  // address, such as the metadata endpoint. fetch followed them, and a dispatcher interceptor (onlyTo) refused any
  // to another origin; the interceptor stays as a second lock.
  it('does not follow a redirect: the answer is an error naming the server, and the other address is never asked', async () => {
    const kube = KubeClient.fromString(kubeconfigFor(redirectingUrl));
    try {
      const e = await rejection(kube.checkAccess());
      expect(e.status).toBe(302);
      expect(e.retryable).toBe(false);
      expect(e.message).toBe(
        `HTTP 302 from ${redirectingUrl}/version (not a Kubernetes API server answer; its body is not shown)`,
      );
      expect(hits).toEqual([]);
    } finally {
      await kube.close();
    }
  });

  it("a port that does not speak HTTP is Unreachable and retried, naming the request, as fetch's failure was", async () => {
    // Reads what it is sent (so it sees the hub hang up) and answers as an SSH server does.
    const ssh = createTcpServer((socket) => socket.resume().end('SSH-2.0-OpenSSH_9.6\r\n'));
    const sshUrl = await listen(ssh);
    const kube = KubeClient.fromString(kubeconfigFor(sshUrl));
    try {
      const e = await rejection(kube.checkAccess());
      expect(e.code).toBe('Unreachable');
      expect(e.retryable).toBe(true);
      expect(e.message).toBe(
        `cannot reach the API server: Response does not match the HTTP/1.1 protocol (Expected HTTP/, RTSP/ or ICE/) (GET /version on ${sshUrl})`,
      );
    } finally {
      await kube.close();
      await new Promise((resolve) => ssh.close(resolve));
    }
  });

  it("goes through the kubeconfig's proxy-url, as client-node's dispatcher does", async () => {
    const apiServer = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          req.url === '/version' ? { gitVersion: 'v1.34.4' } : { kind: 'NamespaceList', items: [] },
        ),
      );
    });
    const apiUrl = await listen(apiServer);
    // A forward proxy: a request for an http:// URL is forwarded (absolute-form, as undici's ProxyAgent sends
    // it), a CONNECT (https) tunnelled.
    const proxied: string[] = [];
    const sockets = new Set<Socket>();
    const proxy = createServer((req, res) => {
      const target = new URL(req.url ?? '');
      proxied.push(target.host);
      const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    proxy.on('connect', (req, client: Socket) => {
      proxied.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client).pipe(upstream);
      });
      for (const s of [client, upstream]) sockets.add(s.on('error', () => undefined));
    });
    const proxyUrl = await listen(proxy);
    const kube = KubeClient.fromString(
      kubeconfigFor(apiUrl).replace(`server: "${apiUrl}"`, `server: "${apiUrl}", proxy-url: "${proxyUrl}"`),
    );
    try {
      await kube.checkAccess();
      expect(proxied).toEqual([new URL(apiUrl).host, new URL(apiUrl).host]);
    } finally {
      await kube.close();
      for (const s of sockets) s.destroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      apiServer.closeAllConnections();
      await new Promise((resolve) => apiServer.close(resolve));
    }
  });
});
