// Runs checkUpload in worker threads (issue 12: no request may stall the hub's event loop; a 1 MiB profile of
// small keys takes over a second to parse, and V8 keeps the heap such a burst grew). At most `concurrency`
// threads, each with a bounded heap, checking one upload at a time under a deadline; a thread that misses its
// deadline or runs out of heap is ended, and an idle one is ended after `idleMs`, returning its memory.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
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

/** Every thread is busy and the queue is full: the upload is refused at once, to be sent again later. */
export class UploadCheckerBusy extends Error {}

/** The check could not finish within its bounds: the upload is too costly to accept. */
export class UploadTooCostly extends Error {}

type Reply = { ok: true; result: UploadResult } | { ok: false; message: string };

export class UploadChecker {
  private readonly idle: Worker[] = [];
  private readonly idleTimers = new Map<Worker, NodeJS.Timeout>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
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
  }

  async check(input: UploadInput): Promise<UploadResult> {
    if (this.running >= this.concurrency && this.waiting.length >= this.maxWaiting) {
      throw new UploadCheckerBusy(
        `${this.running} uploads are being checked and ${this.waiting.length} wait: send it again in a few seconds`,
      );
    }
    if (this.running >= this.concurrency)
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
      });
    this.running++;
    try {
      return await this.run(this.takeWorker(), input);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Ends every thread (the hub is closing). */
  async close(): Promise<void> {
    const workers = this.idle.splice(0);
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private takeWorker(): Worker {
    const reused = this.idle.pop();
    if (reused) {
      clearTimeout(this.idleTimers.get(reused));
      this.idleTimers.delete(reused);
      return reused;
    }
    const { file, execArgv } = workerEntry();
    const worker = new Worker(file, { execArgv, resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb } });
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

  private run(worker: Worker, input: UploadInput): Promise<UploadResult> {
    const large = (input.yaml?.length ?? 0) + (input.bundle?.byteLength ?? 0) >= this.largeBytes;
    return new Promise((resolve, reject) => {
      const done = (action: () => void, keep: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (keep) this.release(worker);
        else void worker.terminate();
        action();
      };
      const onMessage = (reply: Reply) => {
        done(() => {
          if (reply.ok) resolve(reply.result);
          else reject(new Error(reply.message));
        }, !large);
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
      const timer = setTimeout(() => {
        done(() => {
          reject(new UploadTooCostly(`checking it took longer than ${this.timeoutMs / 1000} s`));
        }, false);
      }, this.timeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage(input);
    });
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
 * `--expose-gc` (bin/strata does); elsewhere nothing happens.
 */
function collectGarbageAfterBurst(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
