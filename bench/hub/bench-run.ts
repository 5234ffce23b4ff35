// What the benches that start a hub process share around their own work: a log line with the bench's name and
// the time, the compiled hub and a fresh control plane, and one teardown of the hub, the client processes and
// the control plane, also when the bench is interrupted (Ctrl-C).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { down, up } from '../../testenv/src/controlplane.js';
import { repoRoot, type HubProcess } from '../hub-process.js';

export interface BenchRun {
  readonly log: (line: string) => void;
  /** The hub this bench started, stopped by the teardown. */
  hub: HubProcess | undefined;
  /** Client processes, killed by the teardown. */
  readonly children: ChildProcess[];
  /** Once, however often it is called. */
  readonly teardown: () => Promise<void>;
  /** Builds dist/ and starts control plane `cp` afresh: its kubeconfig file and a core API client. */
  readonly controlPlane: () => Promise<{ readonly kubeconfig: string; readonly core: CoreV1Api }>;
}

export function benchRun(bench: string, cp: string): BenchRun {
  const log = (line: string) => {
    process.stderr.write(`[${bench} ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
  let stopping: Promise<void> | undefined;
  const run: BenchRun = {
    log,
    hub: undefined,
    children: [],
    teardown: () =>
      (stopping ??= (async () => {
        for (const child of run.children) child.kill('SIGKILL');
        await run.hub?.stop().catch(() => undefined);
        await down({ name: cp });
      })()),
    controlPlane: async () => {
      execFileSync(join(repoRoot, 'scripts', 'build-dist'), { stdio: 'inherit' });
      await down({ name: cp });
      log('starting the control plane');
      const state = await up({ name: cp, nodes: 1, log });
      const kc = new KubeConfig();
      kc.loadFromFile(state.kubeconfig);
      return { kubeconfig: state.kubeconfig, core: kc.makeApiClient(CoreV1Api) };
    },
  };
  process.once('SIGINT', () => {
    log('interrupted: stopping the hub, the clients and the control plane');
    void run.teardown().finally(() => process.exit(130));
  });
  return run;
}
