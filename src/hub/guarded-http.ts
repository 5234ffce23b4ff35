// The hub's own HTTP GET for what a chart source serves (a repository's index.yaml, a chart archive, a registry's
// tags list), under the outbound policy at every hop. A remote decides where its redirects go and what its names
// resolve to, so a check before the request is not enough: each hop's name is resolved once here, every address
// is checked against the deny set, and the connection is made to that checked address (a `lookup` that answers
// only it, so no second resolution can differ: DNS rebinding). Redirects are followed here, one checked hop at a
// time, never by the HTTP stack. TLS still verifies the hop's host name.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { deniedRange, type AddressRange } from '../kube/index.js';
import { http } from '../shared/node-http.js';

/** The denied range an address is in (its name, for messages), or undefined when the hub may contact it. */
export type AddressCheck = (address: string) => string | undefined;

/** Resolves a host name to every address it stands for (the default is the system resolver, as for connections). */
export type ResolveAll = (host: string) => Promise<readonly { address: string; family: number }[]>;

/** The check for STRATA_OUTBOUND_DENY's named ranges. */
export function denyCheck(deny: ReadonlySet<AddressRange>): AddressCheck {
  return (address) => deniedRange(address, deny);
}

/** A check refusing the given CIDR blocks (`127.0.0.2/32`): for tests that need one loopback address denied. */
export function cidrCheck(...cidrs: readonly string[]): AddressCheck {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', prefix = ''] = cidr.split('/');
    list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  }
  return (address) =>
    cidrs.length > 0 && list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')
      ? cidrs.join(', ')
      : undefined;
}

export const systemResolve: ResolveAll = (host) => dnsLookup(host, { all: true });

export interface GuardedGetOptions {
  readonly check: AddressCheck;
  /** What is fetched, for messages: "repository index", "chart archive". */
  readonly what: string;
  /** Larger bodies are refused (a 2xx answer's body; other answers' bodies are not read). */
  readonly maxBytes: number;
  /** The source's CA (PEM) and insecure setting; they apply to every hop, as helm's --ca-file did. */
  readonly tls?: { readonly caPem?: string; readonly insecureSkipTlsVerify?: boolean };
  /**
   * An Authorization header and the only origin it is sent to: a redirect to another origin goes without it
   * (helm's default without --pass-credentials).
   */
  readonly credentials?: { readonly origin: string; readonly authorization: string };
  readonly accept?: string;
  /** For the whole fetch, every hop included. Default 60 s (helm's own default timeout for a fetch). */
  readonly timeoutMs?: number;
  readonly resolve?: ResolveAll;
}

export type GuardedAnswer =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: Buffer;
      /** The last hop's URL. */
      readonly url: string;
    }
  /** `cause`: classified, never the remote's own text; a refused hop is named with its range. */
  | { readonly ok: false; readonly cause: string };

export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** GET `url`, following at most MAX_REDIRECTS redirects, each hop checked and connected by its checked address. */
export async function guardedGet(url: string, options: GuardedGetOptions): Promise<GuardedAnswer> {
  const first = new URL(url);
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  let hop = first;
  for (let redirects = 0; ; redirects++) {
    if (hop.protocol !== 'http:' && hop.protocol !== 'https:') {
      return {
        ok: false,
        cause: `${options.what} ${shown(first)} redirects to a URL that is not http or https`,
      };
    }
    const target = await checkedAddress(hop, options);
    if (typeof target === 'string') return { ok: false, cause: target };
    if ('range' in target) {
      const where =
        hop === first
          ? `${options.what} ${shown(first)} resolves to ${target.address}`
          : `${options.what} ${shown(first)} redirects to ${shownHop(hop)}${isIP(bare(hop.hostname)) === 0 ? ` (${target.address})` : ''}`;
      return { ok: false, cause: `${where}, in the ${target.range} range the hub does not contact` };
    }
    const answer = await getOnce(hop, target, options, deadline);
    if (!answer.ok) return answer;
    const location = answer.headers.location;
    if (!REDIRECTS.has(answer.status) || location === undefined) return { ...answer, url: hop.href };
    if (redirects === MAX_REDIRECTS) {
      return { ok: false, cause: `${options.what} ${shown(first)}: more than ${MAX_REDIRECTS} redirects` };
    }
    const next = URL.parse(location, hop.href);
    if (next === null)
      return { ok: false, cause: `${options.what} ${shown(first)} redirects to an invalid URL` };
    hop = next;
  }
}

/** A URL the client gave, as messages show it: without user info, and cut short. */
function shown(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  const text = copy.href;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * A hop a remote's Location header named, as messages show it: its origin only (scheme, host the URL parser
 * normalised, port), which is what an admin needs to see which address was refused. The path and query are
 * the remote's words and are not repeated to the client.
 */
function shownHop(url: URL): string {
  return url.pathname === '/' && url.search === '' ? `${url.origin}/` : `${url.origin}/…`;
}

const bare = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

type Target =
  | { readonly address: string; readonly family: number }
  | { readonly address: string; readonly range: string };

/** The address a hop connects to, every address its name stands for checked; or why it cannot be reached. */
async function checkedAddress(hop: URL, options: GuardedGetOptions): Promise<Target | string> {
  const host = bare(hop.hostname);
  let addresses: readonly { address: string; family: number }[];
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (options.resolve ?? systemResolve)(host);
    } catch {
      return 'host not found (DNS)';
    }
  }
  // One denied address refuses the name: which one a connection would pick is not ours to predict.
  for (const { address } of addresses) {
    const range = options.check(address);
    if (range !== undefined) return { address, range };
  }
  return addresses[0] ?? 'host not found (DNS)';
}

/** A lookup that answers only the address already checked. */
export function pinnedLookup(target: { readonly address: string; readonly family: number }): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true) {
      (callback as unknown as (error: null, all: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    } else callback(null, target.address, target.family);
  };
}

type HopAnswer =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: Buffer;
    }
  | { readonly ok: false; readonly cause: string };

function getOnce(
  hop: URL,
  target: { readonly address: string; readonly family: number },
  options: GuardedGetOptions,
  deadline: AbortSignal,
): Promise<HopAnswer> {
  const headers: Record<string, string> = { 'user-agent': 'strata-hub' };
  if (options.accept !== undefined) headers.accept = options.accept;
  if (options.credentials !== undefined && hop.origin === options.credentials.origin) {
    headers.authorization = options.credentials.authorization;
  }
  const https = hop.protocol === 'https:';
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: HopAnswer) => {
      if (settled) return;
      settled = true;
      deadline.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    // node:https (and node:tls) load with the first HTTPS fetch, not with the hub (issue 15: idle RSS).
    const request = (https ? process.getBuiltinModule('node:https').request : http.request)(
      hop,
      {
        method: 'GET',
        headers,
        // The connection goes to the checked address, whatever a second resolution would say.
        lookup: pinnedLookup(target),
        agent: false,
        ...(https
          ? {
              ...(options.tls?.caPem === undefined ? {} : { ca: options.tls.caPem }),
              rejectUnauthorized: options.tls?.insecureSkipTlsVerify !== true,
            }
          : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          // Only the status and headers are used: the remote's body is not ours to show.
          res.resume();
          finish({ ok: true, status, headers: res.headers, body: Buffer.alloc(0) });
          request.destroy();
          return;
        }
        readBounded(res, options).then(
          (body) => {
            finish(
              typeof body === 'string'
                ? { ok: false, cause: body }
                : { ok: true, status, headers: res.headers, body },
            );
            if (typeof body === 'string') request.destroy();
          },
          (error: unknown) => {
            finish({ ok: false, cause: networkCause(error) });
          },
        );
      },
    );
    const onAbort = () => {
      finish({ ok: false, cause: 'timed out' });
      request.destroy();
    };
    if (deadline.aborted) onAbort();
    deadline.addEventListener('abort', onAbort);
    request.on('error', (error) => {
      finish({ ok: false, cause: networkCause(error) });
    });
    request.end();
  });
}

async function readBounded(res: IncomingMessage, options: GuardedGetOptions): Promise<Buffer | string> {
  const tooLarge = `the ${options.what} is over the limit of ${options.maxBytes} bytes`;
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBytes) return tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > options.maxBytes) return tooLarge;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A connection's failure in the words chart-fetch's classify uses for helm's (never a remote's text). */
export function networkCause(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found (DNS)';
  if (code === 'ETIMEDOUT' || code === 'ABORT_ERR') return 'timed out';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return 'the server speaks plain HTTP: use an http:// URL';
  }
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_)/.test(code)) {
    return `TLS error (${code}): add the source with --ca-file, or --insecure-skip-tls-verify`;
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'the connection was reset';
  return 'the chart could not be fetched';
}
