// A ClusterRunner on the bench control plane, wired to a Probe, keeping only what the bench needs of its events
// (the latest status per pack, counters): storing every PackStatusChanged would dominate the memory figures.
import { performance } from 'node:perf_hooks';
import { KubeClient } from '../../src/kube/index.js';
import { PackPhase, type PackStatus } from '../../src/status/index.js';
import type { DriftPolicy, RunnerEvent } from '../../src/engine/events.js';
import { ClusterRunner } from '../../src/engine/runner.js';
import { helmBin } from '../../src/engine/testing/runner.js';
import { Probe, type Arrival } from './probe.js';

export interface Emission {
  /** performance.now() when the runner called onEvent. */
  readonly at: number;
  readonly event: RunnerEvent;
  /** The watch event being handled when this was emitted; undefined if emitted outside any watch handler. */
  readonly during: Arrival | undefined;
}

export class Harness {
  readonly probe = new Probe();
  readonly kube: KubeClient;
  readonly runner: ClusterRunner;
  readonly latest = new Map<string, PackStatus>();
  readonly counts = {
    statusEvents: 0,
    insideHandler: 0,
    /** Status events whose only change is one resource going from Missing/NotYetObserved to Missing/NotFound. */
    missingToMissing: 0,
    drift: 0,
    other: 0,
  };
  private readonly listeners = new Set<(e: Emission) => void>();

  constructor(kubeconfig: string, cluster: string, driftPolicy: DriftPolicy) {
    this.kube = this.probe.attach(KubeClient.fromFile(kubeconfig));
    this.runner = new ClusterRunner({
      cluster,
      kube: this.kube,
      helmBin: helmBin(),
      driftPolicy,
      retry: { initialMs: 100, maxMs: 1000 },
      onEvent: (event) => {
        this.onEvent(event);
      },
    });
  }

  private onEvent(event: RunnerEvent): void {
    const emission: Emission = { at: performance.now(), event, during: this.probe.current };
    switch (event.type) {
      case 'PackStatusChanged':
        this.counts.statusEvents++;
        if (emission.during) this.counts.insideHandler++;
        if (onlyReasonOfMissingChanged(this.latest.get(event.pack), event.status))
          this.counts.missingToMissing++;
        this.latest.set(event.pack, event.status);
        break;
      case 'DriftDetected':
        this.counts.drift++;
        break;
      case 'PackRemoved':
      case 'ConnectionChanged':
        this.counts.other++;
        break;
    }
    for (const listener of [...this.listeners]) listener(emission);
  }

  /** Every emission goes to `listener` until the returned function is called. */
  listen(listener: (e: Emission) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first emission `predicate` accepts. */
  next(predicate: (e: Emission) => boolean, options: { timeoutMs: number; what: string }): Promise<Emission> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`));
      }, options.timeoutMs);
      const off = this.listen((e) => {
        if (!predicate(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }

  allGreen(packs: readonly string[]): boolean {
    return packs.every((p) => this.latest.get(p)?.phase === PackPhase.Success);
  }

  /** Resolves once every pack in `packs` is green. */
  async untilGreen(packs: readonly string[], timeoutMs: number): Promise<void> {
    if (this.allGreen(packs)) return;
    await this.next(() => this.allGreen(packs), { timeoutMs, what: `${packs.length} packs green` }).catch(
      (error: unknown) => {
        const notGreen = packs
          .filter((p) => this.latest.get(p)?.phase !== PackPhase.Success)
          .map((p) => `  ${p}: ${this.latest.get(p)?.phase ?? 'none'} ${this.latest.get(p)?.message ?? ''}`);
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${notGreen.join('\n')}`);
      },
    );
  }

  async stop(): Promise<void> {
    this.runner.stop();
    await this.kube.close();
  }
}

function onlyReasonOfMissingChanged(before: PackStatus | undefined, after: PackStatus): boolean {
  if (!before || before.phase !== after.phase || before.resources.length !== after.resources.length)
    return false;
  let changed = 0;
  for (const [i, r] of after.resources.entries()) {
    const old = before.resources[i]?.evaluation;
    if (old === r.evaluation) continue;
    changed++;
    if (old?.reason !== 'NotYetObserved' || r.evaluation.reason !== 'NotFound') return false;
  }
  return changed === 1;
}
