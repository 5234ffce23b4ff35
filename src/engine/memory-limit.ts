// A hard bound on the memory of every program the engine starts. helm renders operators' charts, and a
// template can allocate without end: `{{ $s := repeat 2147483648 "x" }}` took helm to 2.0 GiB resident in 2 s
// (VmHWM 2,136,404 kB, helm v3.22.0), while its output (113 bytes) stayed far under the output cap and the
// render under the timeout. Four renders run at once, so four such charts could take 8 GiB from the machine the
// hub (or the agent) runs on. The limit is set for helm alone, between fork and exec, by a wrapper the hub
// chooses (never a client); see docs/adr/0011-helm-runs-under-a-memory-limit.md for the measurements.
//
// Why RLIMIT_DATA and not the others:
// - RLIMIT_AS (`ulimit -v`) counts address space that Go reserves and never touches: a normal render's VmPeak is
//   1.3 GiB for 41 MiB resident, and under 768 MiB of address space helm does not start at all ("fatal error:
//   failed to reserve page summary memory"). It cannot bound a render to anything useful.
// - RLIMIT_DATA (Linux ≥ 4.7) counts private writable mappings, which is where Go's heap and goroutine stacks
//   live (its PROT_NONE reservations are not counted). A normal render starts under 128 MiB; a 1, 2 or 4 GiB
//   string fails at once under the default 1 GiB (47 MiB resident, 0.1-0.3 s) with Go's "fatal error: runtime:
//   out of memory"; twelve 400 MB strings stop at 1.16 GiB resident; a 50 MB render (near the 64 MiB output
//   cap) peaks at 390 MiB resident and renders. The bound is not exact: Linux checks a MAP_FIXED mapping over
//   a reservation only for the pages it adds (none), so one heap growth can pass the limit before the next
//   mapping fails. Under 1 GiB no 2 or 3 GiB string rendered (6 runs each); under 256 MiB a 512 MiB string
//   rendered (559 MiB resident), and a 1 GiB one in 3 of 8 runs. So the spawner also reads VmRSS every 50 ms
//   and kills the program past the limit (spawner-child.ts): the backstop, not the main bound.
// - GOMEMLIMIT only makes the collector work harder: a live 2 GiB string is allocated all the same.
// - A watch on VmRSS alone races the allocator (1 GiB a second above); it is kept as the backstop only.
// - cgroups need a delegated hierarchy the hub's user and the agent's pod (user 65532) do not have.
import { existsSync } from 'node:fs';

/** The default bound on one helm process's memory (RLIMIT_DATA), MiB. */
export const DEFAULT_MEMORY_LIMIT_MIB = 1024;

/** The program the spawner actually starts: the wrapper that sets the limit, then execs the real program. */
export interface Bounded {
  readonly file: string;
  readonly args: readonly string[];
}

/**
 * util-linux's prlimit sets the limit and execs the program (no process in between), and takes the program
 * and its argv after `--` as they are. It is in util-linux, which Debian marks Essential: on the CI machine
 * (Debian 12) and in the agent's image (node:24-bookworm-slim) it is at /usr/bin/prlimit.
 */
const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'];
/**
 * Where prlimit is missing (busybox images, other distributions' minimal images), the POSIX shell's `ulimit -d`
 * sets the same limit (in KiB) before `exec`. The script is a constant; the limit, the program and its argv are
 * its positional parameters, never parsed as shell text. A shell that cannot set the limit stops (exit 125)
 * before the program starts.
 */
const SHELL = '/bin/sh';
const SHELL_SCRIPT = 'ulimit -d "$1" || exit 125; shift; exec "$@"';

/** Neither wrapper exists: the program is not started at all rather than started without a bound. */
export class NoMemoryLimit extends Error {
  override readonly name = 'NoMemoryLimit';
  constructor(file: string) {
    super(
      `${file} was not started: neither ${PRLIMIT.join(' nor ')} nor ${SHELL} exists to bound its memory`,
    );
  }
}

/** The wrappers this machine has, at fixed paths (never looked up on PATH, which comes from the environment). */
export interface Wrappers {
  readonly prlimit?: string;
  readonly shell?: string;
}

export function findWrappers(exists: (path: string) => boolean = existsSync): Wrappers {
  const prlimit = PRLIMIT.find((path) => exists(path));
  return { ...(prlimit === undefined ? {} : { prlimit }), ...(exists(SHELL) ? { shell: SHELL } : {}) };
}

let found: Wrappers | undefined;

/** `file` with `args` under a data limit of `limitMib`; the wrappers are looked up once per process. */
export function withMemoryLimit(
  file: string,
  args: readonly string[],
  limitMib: number,
  wrappers: Wrappers = (found ??= findWrappers()),
): Bounded {
  const bytes = Math.floor(limitMib * 1024 * 1024);
  if (wrappers.prlimit !== undefined)
    return {
      file: wrappers.prlimit,
      args: [`--data=${String(bytes)}:${String(bytes)}`, '--', file, ...args],
    };
  if (wrappers.shell !== undefined) {
    const kib = String(Math.floor(bytes / 1024));
    return { file: wrappers.shell, args: ['-c', SHELL_SCRIPT, 'strata-memory-limit', kib, file, ...args] };
  }
  throw new NoMemoryLimit(file);
}

/** The exit status of a Go program's fatal error (a runtime throw); helm exits 1 on its own errors. */
export const GO_FATAL_EXIT = 2;

/**
 * Whether a failed run is the Go runtime giving up for want of memory, as it does when the data limit refuses
 * it a mapping ("fatal error: runtime: out of memory", "fatal error: runtime: cannot allocate memory",
 * "fatal error: out of memory allocating heap arena map", or no stack for a new thread, errno 12 ENOMEM): such a
 * throw exits with GO_FATAL_EXIT, and its text is read at line starts only. A chart's own `fail` message is
 * printed after "Error: " and exits 1, even when its newlines put Go's words at a line start (review 17, item 7).
 */
export function ranOutOfMemory(stderr: string, exitCode: number | string | undefined): boolean {
  return (
    exitCode === GO_FATAL_EXIT &&
    /^fatal error: (runtime: )?(out of memory|cannot allocate memory)|^runtime: failed to create new OS thread .*errno=12\b/m.test(
      stderr,
    )
  );
}
