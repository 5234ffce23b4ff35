// What registering a cluster answers when its API server is hostile: a refusal's text is the server's to
// choose, and the answer quotes it, so it is cut and cleaned as every other text about a cluster is.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOWN_KUBE_TEXT_MAX } from '../kube/shown-url.js';
import { ClusterAccess } from './access.js';
import type { HubConfig } from './config.js';
import { HubError, HubErrorCode } from './errors.js';
import { kubeconfigFor } from '../kube/testing/remote.js';

const MIB = 1024 * 1024;

describe('ClusterAccess.check against a hostile API server', () => {
  let server: Server;
  let url = '';

  beforeAll(async () => {
    // A 401 whose Status message is 1 MiB, with terminal escapes in it.
    server = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Unauthorized',
          code: 401,
          message: `\u001b[2Jdenied ${'x'.repeat(MIB)}`,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers CLUSTER_UNAUTHORIZED with the refusal cut and cleaned, not the 1 MiB the server sent', async () => {
    // Loopback is denied by default; this test's server lives there.
    const access = new ClusterAccess({ outboundDeny: [] } as Partial<HubConfig> as HubConfig);
    const kubeconfig = kubeconfigFor(url);
    const error = await access.check(access.client('hostile', kubeconfig), 'hostile').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HubError);
    const { code, detail } = error as HubError;
    expect(code).toBe(HubErrorCode.ClusterUnauthorized);
    expect(detail).toMatch(/^cluster "hostile": .*denied x+…\[\d+ more characters cut by the hub\]$/);
    expect(detail.length).toBeLessThanOrEqual(SHOWN_KUBE_TEXT_MAX);
    expect(detail).not.toContain('\u001b');
  });
});
