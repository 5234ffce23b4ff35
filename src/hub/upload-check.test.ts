// Which chart hosts an upload check looks up in DNS: each named host once per upload, and none for a viewer's
// validation (resolveHosts: false), which still refuses a chart host written as a denied address.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const lookup = vi.hoisted(() =>
  vi.fn((_host: string, _options: unknown) => Promise.resolve([{ address: '10.1.2.3', family: 4 }])),
);
vi.mock('node:dns/promises', async (original) => ({
  ...(await original<typeof import('node:dns/promises')>()),
  lookup,
}));

const { checkUpload } = await import('./upload-check.js');

const pack = (name: string, repo: string) =>
  `    - { name: ${name}, layer: addon, version: 1.0.0, type: helm, namespace: default, chart: { name: ${name}, version: 1.0.0, repo: ${repo} } }`;
const profile = (...packs: string[]) =>
  [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: p }',
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    '  packs:',
    ...packs,
    '',
  ].join('\n');

beforeEach(() => {
  lookup.mockClear();
});

describe('chart hosts in an upload check', () => {
  it('looks each named host up once, however many packs name it, and refuses one reaching a denied range', async () => {
    const result = await checkUpload({
      shown: 'p.yaml',
      deny: ['private'],
      yaml: profile(pack('a', 'https://charts.internal/a'), pack('b', 'https://charts.internal/b')),
    });
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(lookup).toHaveBeenCalledWith('charts.internal', { all: true });
    expect(result.kind).toBe('issues');
    expect(result.kind === 'issues' && result.issues.map((i) => i.path)).toEqual([
      'spec.packs[0].chart.repo',
      'spec.packs[1].chart.repo',
    ]);
  });

  it("looks no name up for a viewer's validation, and still refuses a host written as a denied address", async () => {
    const named = await checkUpload({
      shown: 'p.yaml',
      deny: ['private', 'link-local'],
      resolveHosts: false,
      yaml: profile(pack('a', 'https://charts.internal/a')),
    });
    expect(named.kind).toBe('ok');
    const literal = await checkUpload({
      shown: 'p.yaml',
      deny: ['private', 'link-local'],
      resolveHosts: false,
      yaml: profile(pack('a', 'http://169.254.169.254/a')),
    });
    expect(literal.kind === 'issues' && literal.issues[0]?.message).toContain(
      'reaches 169.254.169.254, in the link-local range',
    );
    expect(lookup).not.toHaveBeenCalled();
  });
});
