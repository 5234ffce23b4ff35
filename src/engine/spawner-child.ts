// The spawner's process (see spawner.ts): a small Node process that starts programs for the hub, so the hub,
// hundreds of MiB, never forks. It imports nothing of ours and holds nothing: each request is one execFile,
// answered with what the program printed and how it ended.
import { execFile } from 'node:child_process';
import type { SpawnReply, SpawnRequest } from './spawner.js';

const send = (reply: SpawnReply) => {
  process.send?.(reply);
};

process.on('message', (request: SpawnRequest) => {
  const child = execFile(
    request.file,
    request.args,
    { maxBuffer: request.maxBuffer, timeout: request.timeoutMs, env: request.env },
    (error, stdout, stderr) => {
      if (!error) {
        send({ id: request.id, stdout, stderr });
        return;
      }
      const failure = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
      send({
        id: request.id,
        stdout,
        stderr,
        error: {
          message: failure.message,
          ...(failure.code === undefined ? {} : { code: failure.code }),
          ...(failure.killed === undefined ? {} : { killed: failure.killed }),
          ...(typeof failure.signal === 'string' ? { signal: failure.signal } : {}),
        },
      });
    },
  );
  // A program that exits without reading its input closes the pipe: that is its answer, not ours to report.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(request.input);
});

// The hub went away (or closed the channel): so does this process, and with it nothing is left running.
process.on('disconnect', () => {
  process.exit(0);
});
