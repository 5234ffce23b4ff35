// A PackSink for one pack's task: the runner records what each of its packs' tasks learn in one set of
// functions taking the pack (a RunRecorder, made once per runner), and each task gets a small object that
// names its pack. A sink of its own closures per task cost ~0.5 KiB, alive as long as the task: a wave's
// installs promoted one each into the old generation (issue 15).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../profile/index.js';
import type { ObjectRef, PackEvent } from '../status/index.js';
import type { PackRun } from './pack-run.js';
import type { PackSink } from './pack-steps.js';
import type { RenderedPack } from './render.js';

/** PackSink's methods, each taking the pack it is about first. */
export type RunRecorder = {
  readonly [K in keyof PackSink]: (run: PackRun, ...args: Parameters<PackSink[K]>) => void;
};

export class RunSink implements PackSink {
  constructor(
    private readonly recorder: RunRecorder,
    private readonly run: PackRun,
  ) {}

  report(event: PackEvent): void {
    this.recorder.report(this.run, event);
  }

  inventory(objects: readonly KubeObject[] | readonly ObjectRef[]): void {
    this.recorder.inventory(this.run, objects);
  }

  rendered(rendering: RenderedPack): void {
    this.recorder.rendered(this.run, rendering);
  }

  revisionStarted(): void {
    this.recorder.revisionStarted(this.run);
  }

  applied(ref: ObjectRef, answer: KubernetesObject): void {
    this.recorder.applied(this.run, ref, answer);
  }

  kept(ref: ObjectRef, live: KubernetesObject): void {
    this.recorder.kept(this.run, ref, live);
  }

  revisionApplied(revision: string): void {
    this.recorder.revisionApplied(this.run, revision);
  }
}
