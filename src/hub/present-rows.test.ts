import { describe, expect, it } from 'vitest';
import { manifestPack, parseOk, profileText } from '../profile/testing/profiles.js';
import { ATTENTION_LIMIT, needingAttention, profilePackRows } from './present.js';

describe('needingAttention', () => {
  it('names the red packs first, then the blue ones, in install order, and no more than the limit', () => {
    const packs = [
      { pack: 'cni', phase: 'success' as const, reason: 'AllResourcesReady' },
      { pack: 'csi', phase: 'processing' as const, reason: 'LessAvailable' },
      { pack: 'web', phase: 'failed' as const, reason: 'ImagePullBackOff' },
      { pack: 'db', phase: 'onboarding' as const, reason: 'WaitingForDependencies' },
      { pack: 'api', phase: 'failed' as const, reason: 'TimedOut' },
    ];
    expect(needingAttention(packs)).toEqual([
      { pack: 'web', phase: 'failed', reason: 'ImagePullBackOff' },
      { pack: 'api', phase: 'failed', reason: 'TimedOut' },
      { pack: 'csi', phase: 'processing', reason: 'LessAvailable' },
    ]);
    const many = Array.from({ length: 9 }, (_, i) => ({
      pack: `p${String(i)}`,
      phase: 'failed' as const,
      reason: '',
    }));
    expect(needingAttention(many)).toHaveLength(ATTENTION_LIMIT);
  });
});

describe('profilePackRows', () => {
  it("lists each pack's layer, type, version and chart source, with the digest of a local chart", () => {
    const text = profileText({
      packs: [
        '- name: cni',
        '  layer: cni',
        '  version: 0.1.0',
        '  type: helm',
        '  chart: { path: ./charts/sim-cni }',
        '- name: ingress',
        '  layer: addon',
        '  version: 4.11.0',
        '  type: helm',
        '  chart: { name: ingress-nginx, version: 4.11.0, repo: https://kubernetes.github.io/ingress-nginx }',
        manifestPack('quotas'),
      ].join('\n'),
    });
    const rows = profilePackRows(parseOk(text).profile.spec.packs, { 'charts/sim-cni': 'ab'.repeat(32) });
    expect(rows).toEqual([
      {
        name: 'cni',
        layer: 'cni',
        type: 'helm',
        version: '0.1.0',
        chart: 'local ./charts/sim-cni',
        digest: 'ab'.repeat(32),
      },
      {
        name: 'ingress',
        layer: 'addon',
        type: 'helm',
        version: '4.11.0',
        chart: 'ingress-nginx 4.11.0 from https://kubernetes.github.io/ingress-nginx',
      },
      { name: 'quotas', layer: 'addon', type: 'manifest', version: '1.0.0', objects: ['ConfigMap cm'] },
    ]);
  });
});
