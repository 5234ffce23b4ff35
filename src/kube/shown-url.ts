// A kubeconfig URL (server, proxy-url) as messages and views show it: whatever a status, an event or a cluster
// list says reaches every viewer, and a URL's user-info is a credential (`http://user:password@proxy:3128`).
import { cutText } from '../shared/kept-text.js';
import { cleanText } from '../shared/unsafe-text.js';
import { hideUserInfo } from '../shared/user-info.js';

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

/** The longest error text about a cluster that the hub keeps and shows; longer text is cut (shared/kept-text.ts cutText). */
export const SHOWN_KUBE_TEXT_MAX = 2048;

/**
 * Text about a cluster (a connection error, a failed start, a refusal) as the hub keeps and shows it: every
 * viewer reads it (cluster.connection events, the cluster view), and it may quote what the cluster, a proxy or
 * a kubeconfig said. Without terminal control or misleading characters (shared/unsafe-text.ts), without any
 * URL's user-info, and at most `max` characters (SHOWN_KUBE_TEXT_MAX unless said), cut by cutText. Clean text
 * comes back as the same string.
 */
export function shownKubeText(text: string, { max = SHOWN_KUBE_TEXT_MAX }: { max?: number } = {}): string {
  return cutText(hideUserInfo(cleanText(text)), max);
}
