import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubeClient } from './client.js';
import { KubeError } from './errors.js';
import { inlineKubeconfig } from './kubeconfig-inline.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A kubeconfig as kubectl and cloud CLIs write them: two contexts, files next to it, one exec user. */
function withFiles(dir: string): string {
  writeFileSync(join(dir, 'ca.crt'), 'CA-PEM');
  writeFileSync(join(dir, 'alice.crt'), 'CERT-PEM');
  writeFileSync(join(dir, 'alice.key'), 'KEY-PEM');
  writeFileSync(join(dir, 'token'), 'sa-token\n');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: dev',
    '  cluster: { server: "https://127.0.0.1:6443", certificate-authority: ca.crt }',
    '- name: gke',
    '  cluster: { server: "https://34.1.2.3", certificate-authority-data: ' + b64('GKE-CA') + ' }',
    'users:',
    '- name: alice',
    `  user: { client-certificate: ${join(dir, 'alice.crt')}, client-key: alice.key }`,
    '- name: bot',
    '  user: { token-file: token }',
    '- name: gcloud',
    '  user: { exec: { command: gke-gcloud-auth-plugin, apiVersion: client.authentication.k8s.io/v1beta1 } }',
    'contexts:',
    '- name: dev',
    '  context: { cluster: dev, user: alice, namespace: team }',
    '- name: dev-bot',
    '  context: { cluster: dev, user: bot }',
    '- name: gke',
    '  context: { cluster: gke, user: gcloud }',
    'current-context: dev',
    '',
  ].join('\n');
}

const options = (dir: string, context?: string) => ({
  baseDir: dir,
  readFile: (path: string) => readFile(path),
  ...(context === undefined ? {} : { context }),
});

describe('inlineKubeconfig (the CLI side of cluster add)', () => {
  it("inlines the current context's files, drops the other contexts, and the hub accepts the result", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-inline-'));
    const { text, inlined } = await inlineKubeconfig(withFiles(dir), options(dir));
    const config = parse(text) as Record<string, unknown>;
    expect(config).toMatchObject({
      clusters: [{ name: 'dev', cluster: { 'certificate-authority-data': b64('CA-PEM') } }],
      users: [
        {
          name: 'alice',
          user: { 'client-certificate-data': b64('CERT-PEM'), 'client-key-data': b64('KEY-PEM') },
        },
      ],
      contexts: [{ name: 'dev', context: { namespace: 'team' } }],
      'current-context': 'dev',
    });
    expect(text).not.toMatch(/certificate-authority:|client-key:|client-certificate:|gke-gcloud-auth-plugin/);
    expect(inlined).toEqual([
      `cluster "dev" certificate-authority (${join(dir, 'ca.crt')})`,
      `user "alice" client-certificate (${join(dir, 'alice.crt')})`,
      `user "alice" client-key (${join(dir, 'alice.key')})`,
    ]);
    // Before, the hub refused this kubeconfig (file references and an exec user in another context).
    expect(() => KubeClient.fromString(withFiles(dir))).toThrow(KubeError);
    expect(KubeClient.fromString(text).context).toBe('dev');
  });

  it('reads a token-file into token (trimmed) for the context asked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-inline-'));
    const { text } = await inlineKubeconfig(withFiles(dir), options(dir, 'dev-bot'));
    expect(parse(text)).toMatchObject({
      users: [{ name: 'bot', user: { token: 'sa-token' } }],
      'current-context': 'dev-bot',
    });
    expect(text).not.toContain('token-file');
    expect(KubeClient.fromString(text).context).toBe('dev-bot');
  });

  it('a file it cannot read names the field and the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-inline-'));
    const text = withFiles(dir).replace('client-key: alice.key', 'client-key: missing.key');
    await expect(inlineKubeconfig(text, options(dir))).rejects.toThrow(
      `user "alice" client-key: cannot read ${join(dir, 'missing.key')} (ENOENT)`,
    );
  });

  it('leaves what it cannot make sense of to the hub to report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-inline-'));
    for (const text of [
      'clusters: [',
      'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n',
    ]) {
      expect(await inlineKubeconfig(text, options(dir))).toEqual({ text, inlined: [] });
    }
    const other = await inlineKubeconfig(withFiles(dir), options(dir, 'prod'));
    expect(other.inlined).toEqual([]);
  });
});
