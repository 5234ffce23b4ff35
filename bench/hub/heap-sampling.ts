// What holds a hub's memory, by allocation site: V8's sampling heap profiler (HeapProfiler.startSampling)
// through the hub's inspector keeps a sample of the allocations still alive, with their stacks; summed per
// function it names the code whose objects stay, at a cost small enough to run during a 50,000-object
// install (a heap snapshot of that heap would be gigabytes). Used by hub-scale.bench.ts --heap-profile.
import { writeFileSync } from 'node:fs';
import { openInspector, type HubProcess, type InspectorSession } from '../hub-process.js';

interface SamplingNode {
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

/** Starts sampling; the returned session must stay open until the report (closing it stops the profiler). */
export async function startHeapSampling(hub: HubProcess): Promise<InspectorSession> {
  const session = await openInspector(hub);
  await session.call('HeapProfiler.startSampling', { samplingInterval: 32_768 });
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
  // Where the rest of RSS is: V8's heap as committed (heapTotal) against what is live (heapUsed), and memory
  // outside it (Buffers, native allocations); RSS minus all of these is malloc arenas and code.
  const usage = (await session.call('Runtime.evaluate', {
    expression: 'JSON.stringify(process.memoryUsage())',
    returnByValue: true,
  })) as { result: { value: string } };
  const m = JSON.parse(usage.result.value) as Record<string, number>;
  const memory = Object.entries(m)
    .map(([k, v]) => `${k} ${(v / 2 ** 20).toFixed(1)} MiB`)
    .join(', ');
  const self = new Map<string, number>();
  const ours = new Map<string, number>();
  const walk = (node: SamplingNode, stack: readonly string[]) => {
    const f = node.callFrame;
    const name = `${f.functionName === '' ? '(anonymous)' : f.functionName} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${String(f.lineNumber + 1)}`;
    const here = f.url.includes('/dist/src/') ? [...stack, name] : stack;
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
    'live heap by allocating function (self):',
    ...lines(self),
    'live heap allocated under our functions (inclusive):',
    ...lines(ours),
  ].join('\n');
}
