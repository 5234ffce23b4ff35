// `strata cluster add` reads the files a kubeconfig names on this machine and sends only data to the hub.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Output } from '../command.js';
import { main } from '../main.js';
import { clusterRows } from './cluster.js';

function capture(): Output & { text: () => string } {
  let text = '';
  return {
    write: (chunk: string) => void (text += chunk),
    isTTY: false,
    columns: undefined,
    text: () => text,
  };
}

async function add(argv: string[], cwd: string, command = ['cluster', 'add']) {
  const stdout = capture();
  const stderr = capture();
  const bodies: unknown[] = [];
  const urls: string[] = [];
  const fetch = (url: string | URL | Request, init: RequestInit = {}) => {
    const href = url instanceof Request ? url.url : url.toString();
    urls.push(href);
    if (typeof init.body === 'string') bodies.push(JSON.parse(init.body));
    const cluster = {
      name: 'dev',
      server: 'https://127.0.0.1:6443',
      context: 'dev',
      driftPolicy: 'correct',
      createdAt: '2025-01-01T00:00:00Z',
      reachable: true,
      phase: 'success',
      counts: { onboarding: 0, processing: 0, success: 0, failed: 0 },
      packs: 0,
    };
    const body = href.endsWith('/token')
      ? { token: 'strata_agent_new' }
      : href.endsWith('/agent-clusters')
        ? {
            cluster: { ...cluster, server: '', context: '', agent: { connected: false } },
            token: 'strata_agent_x',
          }
        : cluster;
    return Promise.resolve(
      new Response(JSON.stringify(body), { status: 201, headers: { 'content-type': 'application/json' } }),
    );
  };
  const code = await main([...command, ...argv], {
    stdout,
    stderr,
    env: { HOME: '/nonexistent', STRATA_TOKEN: 't' },
    cwd,
    now: () => Date.parse('2025-01-01T12:00:00Z'),
    fetch,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text(), bodies, urls };
}

describe('strata cluster add', () => {
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: dev',
    '  cluster: { server: "https://127.0.0.1:6443", certificate-authority: certs/ca.crt }',
    'users:',
    '- name: alice',
    '  user: { client-certificate: certs/alice.crt, client-key: certs/alice.key }',
    '- name: other',
    '  user: { exec: { command: sh } }',
    'contexts:',
    '- name: dev',
    '  context: { cluster: dev, user: alice }',
    'current-context: dev',
    '',
  ].join('\n');

  it('sends the files the kubeconfig names, read here relative to it, and only the chosen context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-cluster-add-'));
    mkdirSync(join(dir, 'kube', 'certs'), { recursive: true });
    mkdirSync(join(dir, 'work'));
    writeFileSync(join(dir, 'kube', 'config'), kubeconfig);
    for (const [file, content] of [
      ['ca.crt', 'CA'],
      ['alice.crt', 'CERT'],
      ['alice.key', 'KEY'],
    ] as const)
      writeFileSync(join(dir, 'kube', 'certs', file), content);
    // Run from another folder: the paths are relative to the kubeconfig, as kubectl reads them.
    const result = await add(['dev', '--kubeconfig', '../kube/config'], join(dir, 'work'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const sent = parse((result.bodies[0] as { kubeconfig: string }).kubeconfig) as unknown;
    expect(sent).toMatchObject({
      clusters: [{ cluster: { 'certificate-authority-data': Buffer.from('CA').toString('base64') } }],
      users: [
        {
          name: 'alice',
          user: {
            'client-certificate-data': Buffer.from('CERT').toString('base64'),
            'client-key-data': Buffer.from('KEY').toString('base64'),
          },
        },
      ],
    });
    expect(JSON.stringify(sent)).not.toMatch(/certs\/|"exec"/);
  });

  it('a file it cannot read is an error naming the kubeconfig, the field and the path; nothing is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-cluster-add-'));
    writeFileSync(join(dir, 'config'), kubeconfig);
    const result = await add(['dev', '--kubeconfig', 'config'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: kubeconfig config: cluster "dev" certificate-authority: cannot read ${join(dir, 'certs', 'ca.crt')} (ENOENT)`,
    );
    expect(result.bodies).toEqual([]);
  });

  it('--agent registers an agent cluster with no kubeconfig and prints its token and how to run the agent', async () => {
    const result = await add(['edge', '--agent'], tmpdir());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.urls).toEqual(['http://127.0.0.1:7400/api/v1/agent-clusters']);
    expect(result.bodies).toEqual([{ name: 'edge' }]);
    expect(result.stdout).toContain('strata_agent_x');
    expect(result.stdout).toContain('strata agent --hub http://127.0.0.1:7400 --token');
    expect(result.stdout).toContain('deploy/agent/');
  });

  it('--agent with --kubeconfig is a usage error: the hub never connects to an agent cluster', async () => {
    const result = await add(['edge', '--agent', '--kubeconfig', 'k.yaml'], tmpdir());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('takes no --kubeconfig');
    expect(result.bodies).toEqual([]);
  });
});

describe('strata cluster list', () => {
  it('names an agent cluster by its agent, connected or silent, where a direct one shows its server', () => {
    const base = {
      driftPolicy: 'correct' as const,
      createdAt: '2025-01-01T00:00:00Z',
      phase: 'success' as const,
      counts: { onboarding: 0, processing: 0, success: 0, failed: 0 },
      packs: 0,
      attention: [],
      color: 'green' as const,
      context: '',
    };
    const table = clusterRows(
      [
        { ...base, name: 'dev', server: 'https://127.0.0.1:6443', reachable: true },
        { ...base, name: 'edge', server: '', reachable: true, agent: { connected: true } },
        {
          ...base,
          name: 'far',
          server: '',
          reachable: false,
          error: 'the agent is silent since 2025-01-01T11:00:00.000Z',
          agent: { connected: false, lastSeenAt: '2025-01-01T11:00:00.000Z' },
        },
      ],
      { color: false, now: () => Date.parse('2025-01-01T12:00:00Z') },
    );
    const rows = table.split('\n');
    expect(rows.find((r) => r.startsWith('dev'))).toContain('https://127.0.0.1:6443');
    expect(rows.find((r) => r.startsWith('edge'))).toContain('agent connected');
    expect(rows.find((r) => r.startsWith('far'))).toMatch(/no: the agent is silent since .*agent silent/);
  });
});

describe('strata cluster agent-token', () => {
  it('asks the hub for a new agent token and prints it with what to do with it', async () => {
    const result = await add([], tmpdir(), ['cluster', 'agent-token', 'edge']);
    expect(result.stderr).toBe('');
    expect(result.urls).toEqual(['http://127.0.0.1:7400/api/v1/agent-clusters/edge/token']);
    expect(result.stdout).toContain('strata_agent_new');
    expect(result.stdout).toContain('the old one no longer works');
  });
});
