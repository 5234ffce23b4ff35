import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { KubeClient } from './client.js';
import { KubeError, KubeErrorCode } from './errors.js';
import { guardedLookup } from './guarded-lookup.js';
import { AddressRange } from './outbound-policy.js';
import { kubeconfigFor } from './testing/remote.js';

/** A resolver whose answers change between calls, as a rebinding name's do. */
function rebinding(...answers: string[][]) {
  let call = 0;
  return (
    _host: string,
    _options: object,
    callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => {
    const answer = answers[Math.min(call++, answers.length - 1)] ?? [];
    callback(
      null,
      answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
}

function lookupOnce(
  lookup: ReturnType<typeof guardedLookup>,
  options: { all?: boolean } = {},
): Promise<{ error: unknown; address: unknown }> {
  return new Promise((resolve) => {
    lookup('cluster.example', options, (error, address) => {
      resolve({ error, address });
    });
  });
}

describe('guardedLookup', () => {
  it('refuses the name once it resolves into a denied range, though it passed before (DNS rebinding)', async () => {
    const lookup = guardedLookup(
      new Set([AddressRange.LinkLocal]),
      rebinding(['203.0.113.7'], ['203.0.113.7', '169.254.169.254']),
    );
    expect(await lookupOnce(lookup)).toEqual({ error: null, address: '203.0.113.7' });
    const second = await lookupOnce(lookup);
    expect(second.error).toBeInstanceOf(KubeError);
    expect((second.error as KubeError).code).toBe(KubeErrorCode.OutboundDenied);
    expect((second.error as KubeError).message).toBe(
      'cluster.example resolved to 169.254.169.254, in the denied address range link-local ' +
        '(STRATA_OUTBOUND_DENY): the hub does not connect there',
    );
  });

  it('answers every address when the connection asks for all of them', async () => {
    const lookup = guardedLookup(
      new Set([AddressRange.LinkLocal]),
      rebinding(['203.0.113.7', '2001:db8::1']),
    );
    expect((await lookupOnce(lookup, { all: true })).address).toEqual([
      { address: '203.0.113.7', family: 4 },
      { address: '2001:db8::1', family: 6 },
    ]);
  });
});

const kubeconfig = (port: number) => kubeconfigFor(`https://localhost:${String(port)}`);

describe('a cluster client under an outbound policy', () => {
  it('checks the address at connection time, not only when the cluster was added', async () => {
    // A port with a listener that never answers TLS: without the policy the request gets that far.
    const server = createServer((socket) => {
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const denied = KubeClient.fromString(kubeconfig(port), { outboundDeny: [AddressRange.Loopback] });
      const error = await denied.capabilities().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(KubeError);
      expect((error as KubeError).code).toBe(KubeErrorCode.OutboundDenied);
      expect((error as KubeError).message).toMatch(
        /localhost resolved to (127\.0\.0\.1|::1), in the denied address range loopback/,
      );

      const allowed = KubeClient.fromString(kubeconfig(port), { outboundDeny: [AddressRange.LinkLocal] });
      const reached = await allowed.capabilities().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((reached as KubeError).code).toBe(KubeErrorCode.Unreachable);
    } finally {
      server.close();
    }
  });
});
