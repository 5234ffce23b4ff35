// Runs checkUpload (and runHealthTest) in worker threads (issue 12: no request may stall the hub's event loop;
// a 1 MiB profile of small keys takes over a second to parse, and V8 keeps the heap such a burst grew). At most
// `concurrency` threads, each with a bounded heap, running one job at a time under a deadline; a thread that
// misses its deadline or runs out of heap is ended, and an idle one is ended after `idleMs`, returning its memory.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { assertNever } from '../shared/assert-never.js';
import { FairWaiting, HUB_OWNER, type WaitingOwner } from './fair-waiting.js';
import { quietCollection } from '../shared/quiet-collection.js';
import type { HealthTestJob, HealthTestResult } from './health-test.js';
import type { UploadInput, UploadResult } from './upload-check.js';

export interface UploadCheckerOptions {
  /** Uploads checked at once. Default 2 (the hub's other work keeps the event loop). */
  readonly concurrency?: number;
  /** A check still running after this is stopped. Default 20 s. */
  readonly timeoutMs?: number;
  /** Heap limit of a check's thread. Default 512 MiB. */
  readonly maxHeapMb?: number;
  /** An idle thread is ended after this. Default 10 s. */
  readonly idleMs?: number;
  /**
   * A thread that checked an upload of at least this many bytes is ended at once rather than kept idle: parsing
   * a large profile grows its heap to tens of MiB, which would stay resident for `idleMs` on top of the install
   * that upload starts (issue 15: ~58 MiB of the hub's peak at 10,000 objects). Default 256 KiB.
   */
  readonly largeBytes?: number;
  /**
   * Uploads that may wait for a thread (each holds its body, up to 21 MiB); more are refused at once.
   * Default 8.
   */
  readonly maxWaiting?: number;
}

/** Whose upload a check is for: an import (operators) or a validation (any viewer), see check(). */
export const UploadLane = { Import: 'import', Validate: 'validate' } as const;
export type UploadLane = (typeof UploadLane)[keyof typeof UploadLane];

/** What a new thread posts once its modules are loaded (upload-worker.ts). */
export const WORKER_READY = 'ready';

/** Asks a thread to give its heap back before it is ended (upload-worker.ts, release). */
export interface WorkerRelease {
  readonly kind: 'release';
}

/** What a thread posts once it has given its heap back. */
export const WORKER_RELEASED = 'released';

/** A thread that has not given its heap back after this is ended anyway. */
const RELEASE_MS = 5_000;

/** A new thread that has not loaded its modules after this is ended. */
const STARTUP_MS = 60_000;

/**
 * Every thread is busy and the queue is full: the upload is refused at once, to be sent again later. `overShare`:
 * the caller's token holds more of the queue than any other (it is the one to wait: 429), else the pool itself is
 * full (503).
 */
export class UploadCheckerBusy extends Error {
  constructor(
    message: string,
    readonly overShare = false,
  ) {
    super(message);
  }
}

/**
 * The caller gave up (its request was closed) before the job ended: a waiting job leaves the queue, a running
 * one's thread is ended, as at its deadline (review 11, item 4). A kind of busy: nobody reads the answer.
 */
export class UploadCheckAborted extends UploadCheckerBusy {}

/** The check could not finish within its bounds: the upload is too costly to accept. */
export class UploadTooCostly extends Error {}

/** What a worker thread is asked to do (upload-worker.ts). */
export type WorkerJob =
  | { readonly kind: 'upload'; readonly input: UploadInput }
  | { readonly kind: 'health-test'; readonly input: HealthTestJob }
  | { readonly kind: 'yaml'; readonly input: readonly unknown[] };

type Reply<T> = { ok: true; result: T } | { ok: false; message: string };

/**
 * A thread's young generation, MiB. Left to V8, a thread with a 512 MiB old generation grows its young one far
 * past the hub's own (the hub runs with --max-semi-space-size=1, which a thread does not inherit): checking a
 * 463 KiB profile of 50 packs raised the process's RSS by ~160 MiB, ~50 MiB with this, in the same ~0.8 s
 * (session 10; it was most of the hub's RSS peak while an install and the next upload's check overlap).
 */
const WORKER_YOUNG_MB = 16;

export class UploadChecker {
  private readonly idle: Worker[] = [];
  /** Threads that have loaded their modules (posted WORKER_READY). */
  private readonly ready = new WeakSet<Worker>();
  private readonly idleTimers = new Map<Worker, NodeJS.Timeout>();
  private running = 0;
  private runningValidations = 0;
  /** Jobs running per owner (its token), so waiting jobs start round robin between tokens. */
  private readonly runningPerOwner = new Map<string, number>();
  private readonly waiting: FairWaiting<{
    readonly lane: UploadLane;
    readonly start: () => void;
    readonly refuse: (error: Error) => void;
  }>;

  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly maxHeapMb: number;
  private readonly idleMs: number;
  private readonly largeBytes: number;
  private readonly maxWaiting: number;

  constructor(options: UploadCheckerOptions = {}) {
    this.concurrency = options.concurrency ?? 2;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.maxHeapMb = options.maxHeapMb ?? 512;
    this.idleMs = options.idleMs ?? 10_000;
    this.largeBytes = options.largeBytes ?? 256 * 1024;
    this.maxWaiting = options.maxWaiting ?? 8;
    this.waiting = new FairWaiting(this.maxWaiting);
  }

  /**
   * Checks an upload (checkUpload) in a thread. A validation (`UploadLane.Validate`, which any viewer may send)
   * never takes the last thread nor more than half the queue: imports always find room (review finding 12).
   */
  check(
    input: UploadInput,
    lane: UploadLane = UploadLane.Import,
    owner: WaitingOwner = HUB_OWNER,
    signal?: AbortSignal,
  ): Promise<UploadResult> {
    return this.submit<UploadResult>({ kind: 'upload', input }, this.timeoutMs, lane, owner, signal);
  }

  /**
   * Tries health rules on an object (runHealthTest) in a thread, stopped after `timeoutMs`; `owner` waits with
   * its share of the places (fair-waiting.ts); `signal`: the caller gave up (UploadCheckAborted), as for check().
   */
  testHealthRules(
    input: HealthTestJob,
    timeoutMs: number,
    owner: WaitingOwner = HUB_OWNER,
    signal?: AbortSignal,
  ): Promise<HealthTestResult> {
    return this.submit<HealthTestResult>(
      { kind: 'health-test', input },
      timeoutMs,
      UploadLane.Import,
      owner,
      signal,
    );
  }

  /**
   * YAML documents written as text (`---` between them) in a thread: a large pack's values take a second.
   * `owner`: whose request it is (any viewer's may be), waiting with its share of the places; `signal`: it
   * gave up (UploadCheckAborted), as for check().
   */
  writeYaml(
    documents: readonly unknown[],
    owner: WaitingOwner = HUB_OWNER,
    signal?: AbortSignal,
  ): Promise<string> {
    return this.submit<string>(
      { kind: 'yaml', input: documents },
      this.timeoutMs,
      UploadLane.Import,
      owner,
      signal,
    );
  }

  private async submit<T>(
    job: WorkerJob,
    timeoutMs: number,
    lane: UploadLane,
    owner: WaitingOwner,
    signal?: AbortSignal,
  ): Promise<T> {
    await this.slot(lane, owner, signal);
    try {
      if (signal?.aborted === true) throw aborted();
      return await this.run<T>(this.takeWorker(), job, timeoutMs, signal);
    } finally {
      this.running--;
      if (lane === UploadLane.Validate) this.runningValidations--;
      const left = (this.runningPerOwner.get(owner.key) ?? 1) - 1;
      if (left <= 0) this.runningPerOwner.delete(owner.key);
      else this.runningPerOwner.set(owner.key, left);
      this.startWaiting();
    }
  }

  /** Validations running at once: all threads but one (a pool of one thread has no thread to spare). */
  private get maxValidations(): number {
    return Math.max(1, this.concurrency - 1);
  }

  private mayStart(lane: UploadLane): boolean {
    return (
      this.running < this.concurrency &&
      (lane !== UploadLane.Validate || this.runningValidations < this.maxValidations)
    );
  }

  private start(lane: UploadLane, owner: WaitingOwner): void {
    this.running++;
    if (lane === UploadLane.Validate) this.runningValidations++;
    this.runningPerOwner.set(owner.key, (this.runningPerOwner.get(owner.key) ?? 0) + 1);
  }

  /**
   * Resolves once the job holds a thread (counted), or throws UploadCheckerBusy when it may not wait: the queue
   * is full and its token holds its share of it (fair-waiting.ts). A job that gives up its place to another
   * token's is refused the same way.
   */
  private async slot(lane: UploadLane, owner: WaitingOwner, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw aborted();
    if (this.mayStart(lane)) {
      this.start(lane, owner);
      return;
    }
    // Validations hold at most half the queue, shared between the tokens that wait as the whole queue is: a
    // token holding none of them still gets one (review 11, item 4).
    const validations = {
      places: Math.max(1, Math.floor(this.maxWaiting / 2)),
      match: (w: { readonly lane: UploadLane }) => w.lane === UploadLane.Validate,
    };
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        if (this.waiting.remove(item)) reject(aborted());
      };
      const item = {
        lane,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        refuse: (error: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const admission = this.waiting.push(
        owner,
        item,
        lane === UploadLane.Validate ? validations : undefined,
      );
      if (!admission.admitted) {
        const validationsFull =
          lane === UploadLane.Validate && this.waiting.count(validations.match) >= validations.places;
        reject(
          new UploadCheckerBusy(
            validationsFull
              ? `${this.runningValidations} validations are being checked and ${validations.places} wait, ` +
                  `${admission.held} of them this token's: the most validations may hold is half the queue ` +
                  `(imports keep a thread and half the queue), shared between the tokens that wait: send it ` +
                  `again in a few seconds`
              : `${this.running} jobs are running and ${this.waiting.length} wait, ${admission.held} of them ` +
                  `this token's, its share of the ${this.maxWaiting} waiting places while others wait: send it ` +
                  `again in a few seconds`,
            admission.overShare,
          ),
        );
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      admission.evicted?.item.refuse(
        new UploadCheckerBusy(
          `this job gave its waiting place to another token's: the ${this.maxWaiting} waiting places are shared ` +
            `between the tokens that wait, and this token held the most: send it again in a few seconds`,
          true,
        ),
      );
    });
  }

  /** Hands free threads to the waiting jobs that may take them (fair-waiting.ts: whose first). */
  private startWaiting(): void {
    while (this.running < this.concurrency) {
      const next = this.waiting.take(
        (w) => this.mayStart(w.lane),
        (key) => this.runningPerOwner.get(key) ?? 0,
      );
      if (next === undefined) return;
      this.start(next.item.lane, next.owner);
      next.item.start();
    }
  }

  /** Ends every thread (the hub is closing), those giving their heap back after a large job too. */
  async close(): Promise<void> {
    const workers = this.idle.splice(0);
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    await Promise.all([...workers.map((w) => w.terminate()), ...this.retiring]);
  }

  /** Threads ending after a large job (see retired). */
  private readonly retiring = new Set<Promise<void>>();

  private takeWorker(): Worker {
    const reused = this.idle.pop();
    if (reused) {
      clearTimeout(this.idleTimers.get(reused));
      this.idleTimers.delete(reused);
      return reused;
    }
    const { file, execArgv } = workerEntry();
    const worker = new Worker(file, {
      execArgv,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
    });
    worker.unref();
    return worker;
  }

  private release(worker: Worker): void {
    this.idle.push(worker);
    const timer = setTimeout(() => {
      this.idleTimers.delete(worker);
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
      void worker.terminate();
      if (this.idle.length === 0 && this.running === 0) collectGarbageAfterBurst();
    }, this.idleMs);
    timer.unref();
    this.idleTimers.set(worker, timer);
  }

  /** Threads kept for the next upload. */
  get idleThreads(): number {
    return this.idle.length;
  }

  private run<T>(worker: Worker, job: WorkerJob, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    const large = jobBytes(job) >= this.largeBytes;
    return new Promise((resolve, reject) => {
      const done = (action: () => void, keep: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (keep) this.release(worker);
        else void worker.terminate();
        action();
      };
      /** After a large job: the thread gives its heap back (retire), then ends; the caller has its answer. */
      const retire = (action: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        const ending = retired(worker);
        this.retiring.add(ending);
        void ending.finally(() => this.retiring.delete(ending));
        action();
      };
      const onMessage = (reply: Reply<T> | typeof WORKER_READY) => {
        if (reply === WORKER_READY) {
          // A new thread has loaded its modules: the job's own time starts now.
          this.ready.add(worker);
          clearTimeout(timer);
          timer = jobTimer();
          return;
        }
        const answer = () => {
          if (reply.ok) resolve(reply.result);
          else reject(new Error(reply.message));
        };
        if (large) retire(answer);
        else done(answer, true);
      };
      const onError = (error: Error) => {
        const code = (error as NodeJS.ErrnoException).code;
        done(() => {
          reject(
            code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? new UploadTooCostly(`checking it needed more than ${this.maxHeapMb} MiB`)
              : error,
          );
        }, false);
      };
      const onExit = (code: number) => {
        done(() => {
          reject(new Error(`the upload check stopped unexpectedly (exit code ${code})`));
        }, false);
      };
      const jobTimer = () =>
        setTimeout(() => {
          done(() => {
            reject(new UploadTooCostly(`checking it took longer than ${timeoutMs / 1000} s`));
          }, false);
        }, timeoutMs);
      // The deadline bounds the job, not the loading of a new thread's modules (slow on a loaded machine, and
      // the same for every job); a thread that never loads is ended too.
      let timer = this.ready.has(worker)
        ? jobTimer()
        : setTimeout(() => {
            done(() => {
              reject(new Error(`the worker thread did not start within ${STARTUP_MS / 1000} s`));
            }, false);
          }, STARTUP_MS);
      // Its caller gave up: the thread is ended as at the deadline, so no CPU goes on an answer nobody reads.
      const onAbort = () => {
        done(() => {
          reject(aborted());
        }, false);
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage(job);
    });
  }
}

function aborted(): UploadCheckAborted {
  return new UploadCheckAborted('the request was closed before it was answered: its work was dropped');
}

/**
 * Ends a thread once it has given its heap back (upload-worker.ts, release), or after RELEASE_MS. Ended at once
 * instead, the pages its parse grew would stay resident for another 8 s in V8's shared pool.
 */
async function retired(worker: Worker): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onMessage: ((message: unknown) => void) | undefined;
  const gone = new Promise<void>((resolve) => {
    onMessage = (message: unknown) => {
      if (message === WORKER_RELEASED) resolve();
    };
    worker.on('message', onMessage);
    worker.once('exit', () => {
      resolve();
    });
    worker.once('error', () => {
      resolve();
    });
    timer = setTimeout(resolve, RELEASE_MS);
    timer.unref();
  });
  worker.postMessage({ kind: 'release' } satisfies WorkerRelease);
  await gone;
  clearTimeout(timer);
  if (onMessage !== undefined) worker.off('message', onMessage);
  await worker.terminate();
}

/** How large a job's input is, for ending its thread at once after a large one (see largeBytes). */
function jobBytes(job: WorkerJob): number {
  switch (job.kind) {
    case 'upload':
      return (job.input.yaml?.length ?? 0) + (job.input.bundle?.byteLength ?? 0);
    case 'health-test':
      return job.input.rules?.length ?? 0;
    case 'yaml':
      return 0;
    default:
      return assertNever(job, 'worker job');
  }
}

/**
 * The compiled worker next to this module (dist/), or, when running from the TypeScript sources (tsx, tests),
 * the .ts file with tsx's loader.
 */
function workerEntry(): { file: URL; execArgv: string[] } {
  const js = new URL('./upload-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { file: js, execArgv: [] };
  const loader = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
  return {
    file: new URL('./upload-worker.ts', import.meta.url),
    execArgv: ['--import', pathToFileURL(loader).href],
  };
}

/**
 * The request bodies of a burst of uploads were parsed on the main thread (JSON), and V8 keeps the heap they
 * grew while the hub idles (its memory reducer sees no reason to run): one full collection when the burst is
 * over gives it back (issue 12: RSS back within 50 MB after 300 bad profiles). Only when the hub runs with
 * `--expose-gc` (bin/strata does); elsewhere nothing happens. Run once the event loop is quiet, not while it
 * serves readers, by the process's one quiet collector (shared/quiet-collection.ts).
 */
function collectGarbageAfterBurst(): void {
  quietCollection.request();
}
