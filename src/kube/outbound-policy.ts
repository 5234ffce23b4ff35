// Which network addresses the hub may send a request to on a client's behalf (cluster `server:` and
// `proxy-url:` today, chart sources later). The hub runs next to things a client must not reach through it:
// the cloud metadata endpoint (169.254.169.254, credentials of the hub's machine), its own loopback services,
// the private network it sits in.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Named address ranges an admin can deny (STRATA_OUTBOUND_DENY). */
export const AddressRange = {
  LinkLocal: 'link-local',
  Loopback: 'loopback',
  Private: 'private',
} as const;
export type AddressRange = (typeof AddressRange)[keyof typeof AddressRange];

export const DEFAULT_OUTBOUND_DENY: readonly AddressRange[] = [AddressRange.LinkLocal];

/**
 * The ranges, IPv4 and IPv6 (RFC 6890 special-purpose registries). IPv4-mapped IPv6 addresses
 * (`::ffff:169.254.169.254`) match the IPv4 rules: node's BlockList checks them as IPv4.
 */
const ranges: Record<AddressRange, readonly [string, number, 'ipv4' | 'ipv6'][]> = {
  'link-local': [
    ['169.254.0.0', 16, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
    // AWS's IPv6 metadata endpoint is a unique-local address, not a link-local one; it is denied with the
    // metadata addresses it stands beside (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html).
    ['fd00:ec2::254', 128, 'ipv6'],
  ],
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
    // Connecting to the unspecified address reaches the local host on Linux.
    ['0.0.0.0', 8, 'ipv4'],
    ['::', 128, 'ipv6'],
  ],
  private: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    // Carrier-grade NAT shared space; cloud providers put internal services there too.
    ['100.64.0.0', 10, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ],
};

const blockLists = Object.fromEntries(
  Object.entries(ranges).map(([name, subnets]) => {
    const list = new BlockList();
    for (const [network, prefix, family] of subnets) list.addSubnet(network, prefix, family);
    return [name, list];
  }),
) as Record<AddressRange, BlockList>;

/**
 * IPv6 forms that carry an IPv4 address and reach it, each checked as that IPv4 address too (the IPv4-mapped
 * form `::ffff:a.b.c.d` needs no help, see above):
 * - IPv4-compatible `::a.b.c.d` (deprecated, still routed by some stacks);
 * - IPv4-translated `::ffff:0:a.b.c.d` (SIIT, RFC 2765);
 * - NAT64 with the well-known prefix `64:ff9b::/96` (RFC 6052);
 * - NAT64 with the local-use prefix `64:ff9b:1::/48` (RFC 8215), which an operator may extend to /56, /64 or
 *   /96: every RFC 6052 layout it could use is decoded, so a translator with any of them cannot reach a denied
 *   IPv4 address;
 * - 6to4 `2002:a.b.c.d::/48` (RFC 3056).
 */
function embeddedIpv4(address: string): string[] {
  const words = ipv6Words(address);
  const zero = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  /** The IPv4 address RFC 6052 puts after a prefix of `bits`, skipping bits 64-71 (the "u" octet). */
  const afterPrefix = (bits: number) =>
    bytes
      .slice(bits / 8)
      .filter((_, i) => bits / 8 + i !== 8)
      .slice(0, 4)
      .join('.');
  const found: string[] = [];
  if (zero(0, 6) && !(words[6] === 0 && (words[7] ?? 0) <= 1)) found.push(afterPrefix(96)); // not :: or ::1
  if (zero(0, 4) && words[4] === 0xffff && words[5] === 0) found.push(afterPrefix(96));
  if (words[0] === 0x64 && words[1] === 0xff9b) {
    if (zero(2, 6)) found.push(afterPrefix(96));
    if (words[2] === 1) found.push(...[48, 56, 64, 96].map(afterPrefix));
  }
  if (words[0] === 0x2002) found.push(afterPrefix(16));
  // 0.0.0.0/8 is denied as a connect target (it reaches the local host), but a translator never forwards to
  // it; without this, the /48 decode of `64:ff9b:1::8.8.8.8` (0.0.0.0) would refuse a public address.
  return found.filter((v4) => !v4.startsWith('0.'));
}

/** The eight 16-bit words of an IPv6 address (`new URL` first turns a dotted tail into hex words). */
function ipv6Words(address: string): number[] {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The denied range an IP address (v4 or v6, any text form node accepts) falls in, if any. */
export function deniedRange(address: string, deny: ReadonlySet<AddressRange>): AddressRange | undefined {
  const family = isIP(address);
  if (family === 0) throw new TypeError(`not an IP address: ${address}`);
  const candidates: [string, 'ipv4' | 'ipv6'][] = [[address, family === 4 ? 'ipv4' : 'ipv6']];
  if (family === 6) candidates.push(...embeddedIpv4(address).map((v4): [string, 'ipv4'] => [v4, 'ipv4']));
  for (const range of Object.values(AddressRange)) {
    if (!deny.has(range)) continue;
    if (candidates.some(([a, f]) => blockLists[range].check(a, f))) return range;
  }
  return undefined;
}

/** Parses `link-local,loopback,private` (or `none`); throws naming the unknown entry. */
export function parseOutboundDeny(text: string): AddressRange[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'none') return [];
  const known = Object.values(AddressRange) as string[];
  for (const name of names) {
    if (!known.includes(name)) {
      throw new Error(`unknown address range "${name}": expected a list of ${known.join(', ')}, or none`);
    }
  }
  return [...new Set(names as AddressRange[])];
}

export type Resolve = (host: string) => Promise<string[]>;

const resolveAll: Resolve = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

export interface OutboundRefusal {
  readonly url: string;
  /** The address that is denied (the host itself when it is an IP address). */
  readonly address: string;
  readonly range: AddressRange;
}

/**
 * Checks every address `url`'s host stands for: an IP literal in any form the URL parser accepts (decimal
 * `http://2852039166/`, octal, hex, `[::ffff:169.254.169.254]` all normalise to the address they reach), or
 * every address a host name resolves to (one denied address is enough to refuse: the connection may pick it).
 * Returns the first denied address, or undefined when the URL may be contacted. A name that does not resolve
 * is not refused here: the connection will fail and say so.
 */
export async function checkOutbound(
  url: string,
  deny: ReadonlySet<AddressRange>,
  resolve: Resolve = resolveAll,
): Promise<OutboundRefusal | undefined> {
  if (deny.size === 0) return undefined;
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      return undefined;
    }
  }
  for (const address of addresses) {
    const range = deniedRange(address, deny);
    if (range !== undefined) return { url, address, range };
  }
  return undefined;
}
