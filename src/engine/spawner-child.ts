// The spawner's process (see spawner.ts): a small Node process that starts programs for the hub, so the hub,
// hundreds of MiB, never forks. It imports nothing of ours and holds nothing: each request is one execFile,
// answered with what the program printed and how it ended.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { SpawnReply, SpawnRequest } from './spawner.js';

const send = (reply: SpawnReply) => {
  process.send?.(reply);
};

/**
 * The second half of the memory limit (memory-limit.ts): RLIMIT_DATA stops most allocations at once, but Linux
 * lets one heap growth through past it (a 512 MiB string under 256 MiB rendered in 3 of 6 runs). Every 50 ms
 * the program's resident memory is read from /proc and the program killed once it passes the limit.
 */
const WATCH_MS = 50;

function watchMemory(pid: number | undefined, limitMib: number, kill: () => void): () => void {
  if (pid === undefined) return () => undefined;
  const limitKib = limitMib * 1024;
  const timer = setInterval(() => {
    readFile(`/proc/${String(pid)}/status`, 'utf8').then(
      (status) => {
        if (Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) > limitKib) kill();
      },
      // Gone already (or no /proc): nothing to watch.
      () => undefined,
    );
  }, WATCH_MS);
  return () => {
    clearInterval(timer);
  };
}

process.on('message', (request: SpawnRequest) => {
  try {
    run(request);
  } catch (error) {
    // execFile throws before any program starts for a few causes (E2BIG: arguments or environment past the
    // kernel's limit; an argument with a NUL): that request fails, not this process and every request in it.
    // Its code only: Node's message for an argument with a NUL quotes the argument, a value perhaps (review 18,
    // item 6).
    const code = (error as NodeJS.ErrnoException).code ?? 'ERR_SPAWN';
    send({
      id: request.id,
      stdout: '',
      stderr: '',
      error: { message: `the program could not be started (${code})`, code },
    });
  }
});

function run(request: SpawnRequest): void {
  let memoryExceeded = false;
  const child = execFile(
    request.file,
    request.args,
    { maxBuffer: request.maxBuffer, timeout: request.timeoutMs, env: request.env },
    (error, stdout, stderr) => {
      stopWatching();
      if (!error) {
        send({ id: request.id, stdout, stderr });
        return;
      }
      const failure = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
      send({
        id: request.id,
        stdout,
        stderr,
        ...(memoryExceeded ? { memoryExceeded } : {}),
        error: {
          message: failure.message,
          ...(failure.code === undefined ? {} : { code: failure.code }),
          ...(failure.killed === undefined ? {} : { killed: failure.killed }),
          ...(typeof failure.signal === 'string' ? { signal: failure.signal } : {}),
        },
      });
    },
  );
  // The wrapper execs the program: the pid is the program's.
  const stopWatching = watchMemory(child.pid, request.memoryLimitMib, () => {
    if (memoryExceeded) return;
    memoryExceeded = true;
    child.kill('SIGKILL');
  });
  // A program that exits without reading its input closes the pipe: that is its answer, not ours to report.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(request.input);
}

// The hub went away (or closed the channel): so does this process, and with it nothing is left running.
process.on('disconnect', () => {
  process.exit(0);
});
