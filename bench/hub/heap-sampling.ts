// What holds a hub's memory, by allocation site: V8's sampling heap profiler (HeapProfiler.startSampling)
// through the hub's inspector keeps a sample of the allocations still alive, with their stacks; summed per
// function it names the code whose objects stay, at a cost small enough to run during a 50,000-object
// install (a heap snapshot of that heap would be gigabytes). Used by hub-scale.bench.ts --heap-profile.
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MiB, openInspector, type HubProcess, type InspectorSession } from '../hub-process.js';

interface SamplingNode {
  readonly callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

/**
 * Starts sampling; the returned session must stay open until the report (closing it stops the profiler).
 * `garbage`: also keep the samples of objects a full (major) GC collected, i.e. what lived long enough to be
 * promoted to the old generation and died there: the garbage that makes the heap grow between full GCs.
 */
export async function startHeapSampling(
  hub: HubProcess,
  options: { garbage?: boolean } = {},
): Promise<InspectorSession> {
  const session = await openInspector(hub);
  await session.call('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    ...(options.garbage === true ? { includeObjectsCollectedByMajorGC: true } : {}),
  });
  return session;
}

/**
 * Writes the live-allocation profile to `file` (open it in Chrome DevTools' Memory tab) and returns the top
 * allocation sites: self size per function, and the size allocated under each of our source files' functions.
 */
export async function heapSamplingReport(session: InspectorSession, file: string, top = 25): Promise<string> {
  await session.call('HeapProfiler.collectGarbage');
  const { profile } = (await session.call('HeapProfiler.getSamplingProfile')) as {
    profile: { head: SamplingNode };
  };
  writeFileSync(file, JSON.stringify(profile));
  const memory = await memoryBreakdown(session);
  const self = new Map<string, number>();
  const ours = new Map<string, number>();
  const where = sourceLocator();
  const walk = (node: SamplingNode, stack: readonly string[]) => {
    const f = node.callFrame;
    const at = where(f);
    const name = `${f.functionName === '' ? '(anonymous)' : f.functionName} ${at.place}`;
    const here = at.ours ? [...stack, name] : stack;
    self.set(name, (self.get(name) ?? 0) + node.selfSize);
    // Charged to every one of our frames on the stack once: "allocated under" that function.
    for (const frame of new Set(here)) ours.set(frame, (ours.get(frame) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, []);
  const lines = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${(v / 2 ** 20).toFixed(1).padStart(8)} MiB  ${k}`);
  return [
    `after a full GC: ${memory}`,
    'sampled heap (live; with --heap-profile-garbage also what full GCs collected) by allocating function (self):',
    ...lines(self),
    'sampled heap allocated under our functions (inclusive):',
    ...lines(ours),
  ].join('\n');
}

/**
 * A frame's place in the sources: dist/ is one esbuild bundle (our code and the packages it bundles), so its
 * line is looked up in the chunk's source map (`src/hub/planner.ts:120`, `node_modules/yaml/…`); only frames
 * of src/ count as ours.
 */
function sourceLocator(): (frame: SamplingNode['callFrame']) => { place: string; ours: boolean } {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (file: string) => {
    if (!maps.has(file)) {
      let map: SourceMap | undefined;
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as never);
      } catch {
        map = undefined;
      }
      maps.set(file, map);
    }
    return maps.get(file);
  };
  return (frame) => {
    const line = `:${String(frame.lineNumber + 1)}`;
    // Packages loaded from node_modules (not bundled) have their own dist/ folders and source maps.
    if (
      !frame.url.startsWith('file:') ||
      !frame.url.includes('/dist/') ||
      frame.url.includes('/node_modules/')
    )
      return { place: `${frame.url.replace(/^.*\/node_modules\//, 'node_modules/')}${line}`, ours: false };
    const entry = mapOf(fileURLToPath(frame.url))?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry === undefined || !('originalSource' in entry))
      return { place: `${frame.url.replace(/^.*\/dist\//, 'dist/')}${line}`, ours: false };
    const place = entry.originalSource.replace(/^.*?\/((src|testenv|node_modules)\/)/, '$1');
    return { place: `${place}:${String(entry.originalLine + 1)}`, ours: place.startsWith('src/') };
  };
}

/**
 * Where a hub's RSS is, as one line: V8's heap as committed (heapTotal) against what is live (heapUsed), its
 * spaces' committed sizes, memory outside it (external: Buffers, native allocations), and from /proc the
 * anonymous memory (heap, malloc arenas) against file pages (the node binary, code). RSS minus the V8 heap and
 * external is malloc's own holdings and code.
 */
export async function memoryBreakdown(session: InspectorSession, pid?: number): Promise<string> {
  const usage = (await session.call('Runtime.evaluate', {
    expression: `JSON.stringify({ ...process.memoryUsage(), spaces: Object.fromEntries(
      process.getBuiltinModule('v8').getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size])) })`,
    returnByValue: true,
  })) as { result: { value: string } };
  const { spaces, ...m } = JSON.parse(usage.result.value) as Record<string, number> & {
    spaces: Record<string, number>;
  };
  const mb = (v: number) => `${(v / MiB).toFixed(1)} MiB`;
  const parts = Object.entries(m).map(([k, v]) => `${k} ${mb(v)}`);
  const big = Object.entries(spaces).filter(([, v]) => v >= MiB);
  parts.push(`spaces: ${big.map(([k, v]) => `${k.replace(/_space$/, '')} ${mb(v)}`).join(', ')}`);
  if (pid !== undefined) parts.push(await anonymousMemory(pid));
  return parts.join(', ');
}

/**
 * The process's resident anonymous memory by kind of mapping, from /proc/<pid>/smaps: glibc's main arena (the
 * `[heap]` mapping), mappings of 1 MiB and more (V8's pages and reservations, glibc's other arenas: 64 MiB
 * reservations, large blocks over the mmap threshold), and small ones; then file pages (the node binary, code).
 */
async function anonymousMemory(pid: number): Promise<string> {
  const smaps = await readFile(`/proc/${String(pid)}/smaps`, 'utf8');
  let brk = 0;
  let large = 0;
  let small = 0;
  let file = 0;
  for (const mapping of smaps.split(/^(?=[0-9a-f]+-[0-9a-f]+ )/m)) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/m.exec(mapping);
    if (header === null) continue;
    const rss = Number(/^Rss:\s+(\d+) kB/m.exec(mapping)?.[1] ?? 0) * 1024;
    const anon = Number(/^Anonymous:\s+(\d+) kB/m.exec(mapping)?.[1] ?? 0) * 1024;
    const size = parseInt(header[2] ?? '0', 16) - parseInt(header[1] ?? '0', 16);
    file += rss - anon;
    if (header[5] === '[heap]') brk += anon;
    else if (size >= MiB) large += anon;
    else small += anon;
  }
  const mb = (v: number) => `${(v / MiB).toFixed(1)} MiB`;
  return `anon: [heap] ${mb(brk)}, mappings >= 1 MiB ${mb(large)}, smaller ${mb(small)}; file ${mb(file)}`;
}
