// `strata pack values` against an injected fetch: a Helm pack's notes are printed as helm install prints them.
import { describe, expect, it } from 'vitest';
import type { Output } from '../command.js';
import { main } from '../main.js';
import type { PackValues } from '../../server/client-types.js';

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
