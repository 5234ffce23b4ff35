// Worker thread entry (see upload-checker.ts): runs one job at a time (an upload check, a health-rule test)
// and posts each plain-data result back. The checker ends the thread when it has been idle for a while, or
// when a job runs past its deadline, so whatever a hostile profile or rule allocated goes with it.
import { parentPort } from 'node:worker_threads';
import { assertNever } from '../shared/assert-never.js';
import { runHealthTest } from './health-test.js';
import { yamlText } from './yaml-text.js';
import { checkUpload } from './upload-check.js';
import { WORKER_READY, type WorkerJob } from './upload-checker.js';

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

const port = parentPort;
port?.on('message', (job: WorkerJob) => {
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
