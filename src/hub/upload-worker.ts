// Worker thread entry (see upload-checker.ts): runs one job at a time (an upload check, a health-rule test)
// and posts each plain-data result back. The checker ends the thread when it has been idle for a while, or
// when a job runs past its deadline, so whatever a hostile profile or rule allocated goes with it.
import { parentPort } from 'node:worker_threads';
import { assertNever } from '../shared/assert-never.js';
import { runHealthTest } from './health-test.js';
import { yamlText } from './yaml-text.js';
import { checkUpload } from './upload-check.js';
import { WORKER_READY, WORKER_RELEASED, type WorkerJob, type WorkerRelease } from './upload-checker.js';

async function run(job: WorkerJob): Promise<unknown> {
  switch (job.kind) {
    case 'upload':
      return checkUpload(job.input);
    case 'health-test':
      return runHealthTest(job.input);
    case 'yaml':
      return yamlText(job.input);
    default:
      return assertNever(job, 'worker job');
  }
}

/**
 * Gives the thread's heap back to the system before the thread is ended (a large upload's parse grew it to tens
 * of MiB). V8 keeps the pages a thread's collections freed in a pool, and when the thread ends it hands that
 * pool to the main thread's isolate, which frees it only 8 s later (V8's PagePool::ReleaseOnTearDown): the hub
 * held a 5,000-object profile's parse (~60 MiB) on top of the install that profile began (issue 15). A
 * memory-reducing collection here frees the pool at once. Only with `--expose-gc` (bin/strata gives it).
 */
function release(): void {
  const gc = (globalThis as { gc?: (options: object) => void }).gc;
  gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

const port = parentPort;
port?.on('message', (job: WorkerJob | WorkerRelease) => {
  if (job.kind === 'release') {
    release();
    port.postMessage(WORKER_RELEASED);
    return;
  }
  run(job).then(
    (result) => {
      port.postMessage({ ok: true, result });
    },
    (error: unknown) => {
      port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
    },
  );
});
port?.postMessage(WORKER_READY);
