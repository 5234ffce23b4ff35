import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeClient } from './client.js';
import { KubeError } from './errors.js';

const good = `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: ${Buffer.from('ca').toString('base64')}
users:
- name: u1
  user:
    token: abc
contexts:
- name: one
  context: { cluster: c1, user: u1, namespace: team }
- name: two
  context: { cluster: c1, user: u1 }
current-context: one
`;

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kube-kubeconfig-'));
  const file = join(dir, 'config');
  writeFileSync(file, text);
  return file;
}

function failure(load: () => unknown): KubeError {
  try {
    load();
  } catch (error) {
    if (error instanceof KubeError) return error;
    throw error;
  }
  throw new Error('expected a KubeError');
}

describe('KubeClient.fromFile / fromString', () => {
  it('selects the current context, or the one asked for', () => {
    const file = write(good);
    const current = KubeClient.fromFile(file);
    expect(current.context).toBe('one');
    expect(current.server).toBe('https://127.0.0.1:6443');
    expect(KubeClient.fromFile(file, { context: 'two' }).context).toBe('two');
    expect(KubeClient.fromString(good).kubeConfig.getCurrentContext()).toBe('one');
  });

  it('a missing context names the file and the contexts there are', () => {
    const file = write(good);
    const e = failure(() => KubeClient.fromFile(file, { context: 'prod' }));
    expect(e.code).toBe('BadKubeconfig');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe(`kubeconfig ${file}: context "prod" not found (contexts: one, two)`);
  });

  it('unparseable YAML names the position', () => {
    const file = write('clusters: [\n  - name: x\n  cluster: {server: ');
    const e = failure(() => KubeClient.fromFile(file));
    expect(e.code).toBe('BadKubeconfig');
    expect(e.message).toMatch(new RegExp(`^kubeconfig ${file}: not valid YAML at line \\d+, column \\d+: `));
  });

  it('a repeated key names its line, as it always did', () => {
    const e = failure(() =>
      KubeClient.fromString(good.replace('current-context: one', 'users: []\ncurrent-context: one')),
    );
    expect(e.message).toBe(
      'kubeconfig (inline): not valid YAML at line 17, column 1: Map keys must be unique at line 17, column 1:',
    );
  });

  it('a file that is not a kubeconfig at all', () => {
    const e = failure(() => KubeClient.fromFile(write('just some text\n')));
    expect(e.message).toMatch(/not a kubeconfig: expected a mapping with clusters, contexts and users$/);
  });

  it('a missing file', () => {
    const e = failure(() => KubeClient.fromFile('/nonexistent/kubeconfig'));
    expect(e.message).toBe('kubeconfig /nonexistent/kubeconfig: file not found');
  });

  it('a cluster without a server', () => {
    const e = failure(() =>
      KubeClient.fromString(
        good.replace('server: https://127.0.0.1:6443', 'insecure-skip-tls-verify: false'),
      ),
    );
    expect(e.message).toBe('kubeconfig (inline): clusters[0].cluster.server is missing');
  });

  it('no current-context and none chosen', () => {
    const e = failure(() => KubeClient.fromString(good.replace('current-context: one', '')));
    expect(e.message).toBe(
      'kubeconfig (inline): no current-context is set and no context was chosen (contexts: one, two)',
    );
  });

  it('a certificate file that does not exist, relative to the kubeconfig', () => {
    const file = write(good.replace(/certificate-authority-data: .*/, 'certificate-authority: ca.crt'));
    const e = failure(() => KubeClient.fromFile(file));
    expect(e.message).toBe(
      `kubeconfig ${file}: cluster "c1" certificate-authority file ${join(file, '..', 'ca.crt')} does not exist`,
    );
  });
});
