// What one measured install of bench/engine/events-install.ts reports to bench/engine-events.bench.ts.
export const WAVES = 5;
/** The line the bench parses. */
export const RESULT_PREFIX = 'ENGINE_INSTALL ';

export interface InstallRun {
  readonly packs: number;
  /** PackStatusChanged events of the install. */
  readonly events: number;
  /** install + closing GC − reference GC, every thread. */
  readonly cpuMs: number;
  /** The same, the main thread only. */
  readonly mainMs: number;
  /** setDesired() → every pack green, every thread. */
  readonly installCpuMs: number;
  readonly closingGcCpuMs: number;
  readonly referenceGcCpuMs: number;
  /** setDesired() → every pack green. */
  readonly wallMs: number;
  /** GCs during the install (not the closing one): scavenges and mark-compacts, and their pause times. */
  readonly gc: { minor: number; minorMs: number; major: number; majorMs: number };
  /** Heap used before the install, and after the closing GC. */
  readonly heapBeforeMiB: number;
  readonly heapAfterMiB: number;
}
