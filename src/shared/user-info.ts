// A URL's user-info is a credential (`http://user:password@proxy:3128`): text that quotes a cluster, a proxy or a
// kubeconfig is shown with it hidden (kube/shown-url.ts for what the hub shows of a cluster; store/audit.ts for
// drift records an older hub wrote raw).

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
export function hideUserInfo(text: string): string {
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
