// Loaded first by bin/strata (`node --import dist/src/source-maps.js`): stack traces name the TypeScript
// lines of Strata's own code. A map is read when a stack trace first passes through its file, not when the
// module loads: Node's own support (`--enable-source-maps`, `module.setSourceMapsSupport`) reads and keeps
// the map of every module as it loads, 2.2 MiB for Strata's maps alone in an idle hub that never formats a
// stack trace, and +22 MiB with node_modules' maps once @kubernetes/client-node loads (issue 15: a lean hub).
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/** dist/: Strata's compiled code (src/ and testenv/src/), each file with its `.map` beside it. */
const distRoot = new URL('..', import.meta.url).href;

/** Per compiled file, its map; undefined when it has none (the compiled location is kept). */
const maps = new Map<string, SourceMap | undefined>();

function mapOf(url: string): SourceMap | undefined {
  if (!maps.has(url)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(readFileSync(fileURLToPath(`${url}.map`), 'utf8')) as never);
    } catch {
      map = undefined;
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** One frame as V8 writes it, its location in a compiled file of dist/ replaced by the TypeScript one. */
function frame(site: NodeJS.CallSite): string {
  // CallSite has its own toString(): the frame exactly as V8 writes it.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  const text = String(site);
  const url = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (
    url?.startsWith(distRoot) !== true ||
    url.includes('/node_modules/') ||
    line === null ||
    column === null
  )
    return text;
  const entry = mapOf(url)?.findEntry(line - 1, column - 1);
  if (entry === undefined || !('originalSource' in entry)) return text;
  // As Node writes a mapped location: the TypeScript file's path.
  const source = new URL(entry.originalSource, url);
  const path = source.protocol === 'file:' ? fileURLToPath(source) : source.href;
  return text.replace(
    `${url}:${line}:${column}`,
    `${path}:${entry.originalLine + 1}:${entry.originalColumn + 1}`,
  );
}

// The format of Node's own stack traces: the error's toString(), then one `    at …` line per frame.
Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]) => {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = 'Error';
  }
  return sites.length === 0 ? header : `${header}\n    at ${sites.map(frame).join('\n    at ')}`;
};
