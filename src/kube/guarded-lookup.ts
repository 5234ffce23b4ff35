// The address check at connection time. The hub checks a cluster's server against the outbound policy when the
// cluster is registered, but a name can resolve somewhere else later (DNS rebinding: a short TTL, a second
// answer of 169.254.169.254). This lookup is what the connection itself uses, so the address it checks is the
// address it connects to.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { KubeError, KubeErrorCode } from './errors.js';
import { deniedRange, type AddressRange } from './outbound-policy.js';

type LookupAll = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for net/tls.connect (and undici's connector) refusing a name when any address it resolves to is in
 * a denied range (the connection may pick any of them), with an OutboundDenied KubeError naming the name, the
 * address and the range.
 */
export function guardedLookup(
  deny: ReadonlySet<AddressRange>,
  resolve: LookupAll = dnsLookup,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      for (const { address } of addresses) {
        const range = deniedRange(address, deny);
        if (range === undefined) continue;
        const refused = new KubeError(
          KubeErrorCode.OutboundDenied,
          `${hostname} resolved to ${address}, in the denied address range ${range} (STRATA_OUTBOUND_DENY): ` +
            'the hub does not connect there',
          { retryable: false },
        );
        // The connection reports it as its error: the request rejects with it (fetch with it as the `cause` of
        // `fetch failed`), and classifyError finds the KubeError either way.
        callback(refused as unknown as NodeJS.ErrnoException, '', 0);
        return;
      }
      const first = addresses[0];
      if (options.all === true) callback(null, addresses);
      else if (first === undefined)
        callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '', 0);
      else callback(null, first.address, first.family);
    });
  };
}
