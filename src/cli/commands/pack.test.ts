// `strata pack values` against an injected fetch: a Helm pack's notes are printed as helm install prints them.
import { describe, expect, it } from 'vitest';
import type { Output } from '../command.js';
import { main } from '../main.js';
import type { PackRuns, PackValues } from '../../server/client-types.js';

function capture(): Output & { text: () => string } {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    isTTY: false,
    columns: undefined,
    text: () => text,
  };
}

const body: PackValues = {
  pack: 'prometheus',
  profile: 'monitoring',
  profileVersion: '1.0.0',
  type: 'helm',
  chart: 'local charts/prometheus',
  releaseName: 'prometheus',
  namespace: 'monitoring',
  values: { server: { retention: '15d' } },
  yaml: 'server:\n  retention: 15d\n',
  masked: false,
  notes:
    'The Prometheus server can be accessed via port 80 on prometheus-server.monitoring.svc.cluster.local',
};

async function packValues(argv: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await main(['pack', 'values', 'dev', 'prometheus', ...argv], {
    stdout,
    stderr,
    env: { HOME: '/nonexistent' },
    cwd: '/tmp',
    now: () => 0,
    fetch: (input) => {
      const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
      return Promise.resolve(
        path === '/api/v1/clusters/dev/packs/prometheus/values'
          ? Response.json(body)
          : Response.json({ status: 404, detail: path, code: 'NOT_FOUND' }, { status: 404 }),
      );
    },
    signal: new AbortController().signal,
    sleep: () => Promise.resolve(),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('strata pack values', () => {
  it("prints a chart's notes after the values, on stderr, so stdout stays the values alone", async () => {
    const out = await packValues([]);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('server:\n  retention: 15d\n');
    expect(out.stderr).toContain(`NOTES:\n${body.notes ?? ''}\n`);
  });

  it('has the notes in -o json', async () => {
    const out = await packValues(['-o', 'json']);
    expect((JSON.parse(out.stdout) as PackValues).notes).toBe(body.notes);
  });
});

describe('strata pack runs', () => {
  const install = {
    kind: 'install' as const,
    revision: '3f2a9c1d0e4b5a6c',
    startTime: '2026-01-01T00:00:00.000Z',
    endTime: '2026-01-01T00:05:00.000Z',
    outcome: 'failed' as const,
  };
  const retry = {
    kind: 'retry' as const,
    revision: '3f2a9c1d0e4b5a6c',
    startTime: '2026-01-01T00:08:00.000Z',
  };

  async function packRuns(argv: string[], answer: PackRuns) {
    const stdout = capture();
    const stderr = capture();
    const asked: string[] = [];
    const code = await main(['pack', 'runs', 'dev', 'web', ...argv], {
      stdout,
      stderr,
      env: { HOME: '/nonexistent' },
      cwd: '/tmp',
      now: () => 0,
      fetch: (input) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        asked.push(`${url.pathname}${url.search}`);
        return Promise.resolve(Response.json(answer));
      },
      signal: new AbortController().signal,
      sleep: () => Promise.resolve(),
    });
    return { code, stdout: stdout.text(), stderr: stderr.text(), asked };
  }

  it('prints each run with its own duration, oldest first, and how to read older ones', async () => {
    const out = await packRuns(['--limit', '2'], { runs: [install, retry], next: 1767225000000 });
    expect(out.code).toBe(0);
    expect(out.asked).toEqual(['/api/v1/clusters/dev/packs/web/runs?limit=2']);
    const [head, first, second] = out.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^RUN\s+REVISION\s+STARTED\s+DURATION\s+OUTCOME$/);
    expect(first).toMatch(/^install\s+3f2a9c1d0e4b\s+2026-01-01T00:00:00.000Z\s+5m0s\s+.*Failed$/);
    expect(second).toMatch(/^retry\s+3f2a9c1d0e4b\s+2026-01-01T00:08:00.000Z\s+-\s+-$/);
    expect(out.stderr).toBe('# older runs: strata pack runs dev web --before 1767225000000\n');
  });

  it('prints what an agent reported as text, not as terminal controls', async () => {
    const out = await packRuns([], { runs: [{ ...install, revision: '\u001b]0;owned\u0007abc' }] });
    expect(out.stdout).not.toContain('\u001b');
    expect(out.stdout).not.toContain('\u0007');
  });

  it('passes --before on, and prints the runs themselves with -o json', async () => {
    const out = await packRuns(['--before', '1767225000000', '-o', 'json'], { runs: [install] });
    expect(out.asked).toEqual(['/api/v1/clusters/dev/packs/web/runs?before=1767225000000']);
    expect(JSON.parse(out.stdout)).toEqual([install]);
    expect(out.stderr).toBe('');
  });
});
