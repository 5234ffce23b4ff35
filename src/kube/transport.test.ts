// The transport against tiny local HTTP servers (no control plane): what it does with answers that do not come
// from a Kubernetes API server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from './client.js';
import { kubeconfigFor, rejection } from './testing/remote.js';

function listen(server: Server): Promise<string> {
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

  it("refuses a redirect to another origin than the cluster's server, before connecting to it", async () => {
    const kube = KubeClient.fromString(kubeconfigFor(redirectingUrl));
    try {
      const e = await rejection(kube.checkAccess());
      expect(e.code).toBe('OutboundDenied');
      expect(e.retryable).toBe(false);
      expect(e.message).toBe(
        `redirected to ${elsewhereUrl}: the hub sends requests to the cluster's server only (GET /version on ${redirectingUrl})`,
      );
      expect(hits).toEqual([]);
    } finally {
      await kube.close();
    }
  });
});
