import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** A component process started in its own process group, its output in a log file. */
export interface Started {
  component: string;
  pid: number;
  log: string;
}

/**
 * Starts a component detached (its own process group) so it outlives `testenv/up` and `testenv/down` can stop
 * it and anything it forked by signalling the group.
 */
export function startDetached(component: string, command: string, args: string[], log: string): Started {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return { component, pid: child.pid, log };
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means it exists but is not ours to signal: alive all the same.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM the process group, wait up to `graceMs` for it to exit, then SIGKILL. Resolves once it is gone. */
export async function stopGroup(pid: number, options: { graceMs: number }): Promise<void> {
  if (!isAlive(pid)) return;
  signalGroup(pid, options.graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  const deadline = Date.now() + options.graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(20);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last lines of a log, for error messages that point at the cause. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
