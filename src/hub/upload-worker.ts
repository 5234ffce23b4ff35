// Worker thread entry (see upload-checker.ts): checks uploads one at a time and posts each plain-data result
// back. The checker ends the thread when it has been idle for a while, so whatever parsing a hostile profile
// allocated goes with it.
import { parentPort } from 'node:worker_threads';
import { checkUpload, type UploadInput } from './upload-check.js';

const port = parentPort;
port?.on('message', (input: UploadInput) => {
  checkUpload(input).then(
    (result) => {
      port.postMessage({ ok: true, result });
    },
    (error: unknown) => {
      port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
    },
  );
});
