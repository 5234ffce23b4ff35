import { execFileSync } from 'node:child_process';
import { basename, dirname, join, resolve } from 'node:path';

/** The repository's testenv/ folder (this file lives in testenv/src/, or dist/testenv/src/ when compiled). */
const compiledOrNot = resolve(import.meta.dirname, '..');
export const testenvDir =
  basename(dirname(compiledOrNot)) === 'dist'
    ? join(dirname(dirname(compiledOrNot)), 'testenv')
    : compiledOrNot;

/** Where control planes keep their state: one folder per control plane, named after it. */
export function stateRoot(): string {
  return process.env.STRATA_TESTENV_DIR ?? join(testenvDir, '.state');
}

export function stateDirOf(name: string): string {
  return join(stateRoot(), name);
}

export function kubeconfigPathOf(name: string): string {
  return join(stateDirOf(name), 'kubeconfig');
}

/** The pod lifecycle stages kwok runs (see testenv/README.md). */
export const podStagesFile = join(testenvDir, 'stages', 'pods.yaml');

/**
 * The folder holding the pinned binaries (kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok,
 * helm), building what is missing first. testenv/build prints it on its last line of standard output.
 */
export function binDir(options: { build: boolean }): string {
  const args = options.build ? [] : ['--print'];
  const out = execFileSync(join(testenvDir, 'build'), args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const dir = out.trim().split('\n').at(-1);
  if (!dir) throw new Error('testenv/build printed no bin directory');
  return dir;
}
