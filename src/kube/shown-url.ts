// A kubeconfig URL (server, proxy-url) as messages and views show it: whatever a status, an event or a cluster
// list says reaches every viewer, and a URL's user-info is a credential (`http://user:password@proxy:3128`).

/** `url` with its user-info replaced by `***`; a URL that does not parse is not shown, as its secret could be anywhere. */
export function shownUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(a URL that does not parse, not shown)';
  }
  if (parsed.username === '' && parsed.password === '') return url;
  parsed.username = '***';
  parsed.password = '';
  return parsed.href;
}
