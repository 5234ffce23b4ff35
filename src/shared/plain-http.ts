// Whether a client may send its bearer token to a hub over plain http://, and where a redirect it refuses to
// follow pointed. On this machine (loopback) it may: that is `strata serve`'s default address and every demo's.
// To another host, a token sent in clear can be read by anyone on the path, so it takes an explicit opt-in (the
// CLI's and `strata agent`'s --insecure-http), as kubectl takes --insecure-skip-tls-verify for its own trade
// of safety for convenience.

/** `localhost` (and its subdomains, RFC 6761), 127.0.0.0/8 and ::1 (also as an IPv4-mapped address). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127(?:\.\d{1,3}){3}$/.test(host) ||
    host === '::1' ||
    /^::ffff:(?:127(?:\.\d{1,3}){3}|7f[0-9a-f]{2}:[0-9a-f]{1,4})$/.test(host)
  );
}

/** Undefined when `url` may carry a token; else why not, naming the URL (for the caller's error). */
export function plainHttpRefusal(url: string, options: { insecureHttp: boolean }): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // The callers check the URL's form first and say what is wrong with it.
  }
  if (parsed.protocol !== 'http:' || options.insecureHttp || isLoopbackHost(parsed.hostname))
    return undefined;
  return (
    `${parsed.origin} is plain http:// to another machine: the token would cross the network in clear ` +
    'text, so it is not sent'
  );
}

/**
 * Where a redirect pointed, for the error that refuses to follow it: the origin of `location` read against
 * the request's `url` (a relative Location is the same host's).
 */
export function redirectTarget(location: string | null, url: string): string {
  if (location === null) return 'no Location';
  try {
    return new URL(location, url).origin;
  } catch {
    return 'a Location that is no URL';
  }
}
