// A kubeconfig URL (server, proxy-url) as messages and views show it: whatever a status, an event or a cluster
// list says reaches every viewer, and a URL's user-info is a credential (`http://user:password@proxy:3128`).
import { cleanText } from '../shared/unsafe-text.js';

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

/** Where a URL in free text ends: white space, a quote or an angle bracket. */
const URL_END = /[\s"'<>`]/u;
const SCHEME_CHAR = /[a-z0-9+.-]/iu;
const LETTER = /[a-z]/iu;

/**
 * `text` with every URL's user-info hidden: from a scheme's `//` to the last `@` before a space or quote (a
 * password may hold `/`, `?` or `#` unencoded, so the URL need not parse; a path holding an `@` is hidden too).
 * One pass, each character looked at a bounded number of times: text comes from clusters and agents, and the
 * regular expression this replaces took 43 s on 256 KiB of `a.a.a…` (review 13, item 1).
 */
function hideUserInfo(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    // The scheme: letters, digits, `+`, `.`, `-` back from `://`, starting with a letter.
    let start = at;
    while (start > from && SCHEME_CHAR.test(text.charAt(start - 1))) start--;
    while (start < at && !LETTER.test(text.charAt(start))) start++;
    if (start === at) continue;
    let end = at + 3;
    let lastAt = -1;
    for (; end < text.length && !URL_END.test(text.charAt(end)); end++)
      if (text.charAt(end) === '@') lastAt = end;
    if (lastAt !== -1) {
      out += `${text.slice(from, at + 3)}***`;
      from = lastAt;
    }
    // Nothing up to `end` holds another `@`: the next URL starts after it.
    at = end - 3;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** The longest error text about a cluster that the hub keeps and shows; longer text is cut, marked with `…`. */
export const SHOWN_KUBE_TEXT_MAX = 2048;

/**
 * Text about a cluster (a connection error, a failed start, a refusal) as the hub keeps and shows it: every
 * viewer reads it (cluster.connection events, the cluster view), and it may quote what the cluster, a proxy or
 * a kubeconfig said. Without terminal control or misleading characters (shared/unsafe-text.ts), without any
 * URL's user-info, and at most SHOWN_KUBE_TEXT_MAX characters. Clean text comes back as the same string.
 */
export function shownKubeText(text: string): string {
  const clean = hideUserInfo(cleanText(text));
  return clean.length <= SHOWN_KUBE_TEXT_MAX ? clean : `${clean.slice(0, SHOWN_KUBE_TEXT_MAX - 1)}…`;
}
