import { describe, expect, it } from 'vitest';
import { NOW, mixedPage, page, pack } from '../testing/page.js';
import { painter, stripAnsi } from './color.js';
import { packLines, progressBar, renderStatusPage, waitVerdict, wrap } from './status.js';

const plain = { paint: painter(false), now: NOW };

describe('progressBar', () => {
  it('fills in proportion and shows the counts', () => {
    expect(progressBar(3, 5)).toBe('[######----] 3/5');
    expect(progressBar(0, 4)).toBe('[----------] 0/4');
    expect(progressBar(4, 4)).toBe('[##########] 4/4');
    expect(progressBar(1, 3, 6)).toBe('[##----] 1/3');
  });

  it('shows an empty bar for nothing to count, and never overflows', () => {
    expect(progressBar(0, 0)).toBe('[----------] 0/0');
    expect(progressBar(7, 5)).toBe('[##########] 7/5');
  });
});

describe('renderStatusPage', () => {
  it('shows the page: rollup, profiles, packs by layer in install order, icons AND labels, and why', () => {
    expect(renderStatusPage(mixedPage, plain)).toBe(
      [
        'Cluster dev  ✗ Failed  reachable  https://127.0.0.1:6443',
        'Profiles: platform@1.0.0 (update available: 1.1.0)',
        '[##--------] 1/4 packs green   ✓ 1 Success  ◐ 1 Processing  ○ 1 Onboarding  ✗ 1 Failed',
        '',
        'os',
        '  ✓ Success     os-tuning   1.0.0   platform  [##########] 3/3  took 12s',
        '',
        'cni',
        '  ◐ Processing  calico      3.27.0  platform  [######----] 3/5  for 30s',
        '      ↳ Installed: waiting for Deployment kube-system/calico-kube-controllers: 0/1 available',
        '',
        'addon',
        '  ✗ Failed      broken-web  1.0.0   platform  [----------] 0/1  took 40s',
        '      ↳ Error: ImagePullBackOff: Pod broken/broken-web-7d9: image "registry.example/nope" not found',
        '  ○ Onboarding  echo        1.0.0   platform  [----------] 0/2',
        '      ↳ WaitingForOtherLayers: blocked by broken-web (failed)',
        '',
      ].join('\n'),
    );
  });

  it('says "red at once" for a retry of unchanged objects red again in milliseconds, not "took 0s"', () => {
    const runs = [
      {
        kind: 'install' as const,
        revision: 'r1',
        startTime: '2025-01-01T11:50:00Z',
        endTime: '2025-01-01T11:55:00Z',
        outcome: 'failed' as const,
      },
      {
        kind: 'retry' as const,
        revision: 'r1',
        startTime: '2025-01-01T11:58:00.000Z',
        endTime: '2025-01-01T11:58:00.003Z',
        outcome: 'failed' as const,
      },
    ];
    const retried = pack({
      name: 'broken-web',
      layer: 'addon',
      phase: 'failed',
      startTime: '2025-01-01T11:58:00.000Z',
      endTime: '2025-01-01T11:58:00.003Z',
      lastRun: runs[1],
      runCount: 2,
    });
    expect(renderStatusPage(page([retried]), plain)).toMatch(/✗ Failed\s+broken-web .*\s+red at once\n/);
    // The install before it did 5 minutes of work: its own line says so.
    const installed = {
      ...retried,
      startTime: '2025-01-01T11:50:00Z',
      endTime: '2025-01-01T11:55:00Z',
      lastRun: runs[0],
      runCount: 1,
    };
    expect(renderStatusPage(page([installed]), plain)).toMatch(/✗ Failed\s+broken-web .*\s+took 5m0s\n/);
  });

  it('has no escape codes without colour, and colours each phase with it, the text unchanged', () => {
    expect(renderStatusPage(mixedPage, plain)).not.toContain('\x1b');
    const coloured = renderStatusPage(mixedPage, { paint: painter(true), now: NOW });
    expect(coloured).toContain('\x1b[31m✗ Failed');
    expect(coloured).toContain('\x1b[32m✓ Success');
    expect(coloured).toContain('\x1b[34m◐ Processing');
    expect(coloured).toContain('\x1b[90m○ Onboarding');
    expect(stripAnsi(coloured)).toBe(renderStatusPage(mixedPage, plain));
  });

  it("says when someone changed a pack's objects, corrected or only reported", () => {
    const drifted = page([
      pack({
        name: 'quotas',
        layer: 'addon',
        phase: 'success',
        lastDrift: {
          time: '2026-01-01T00:05:00.000Z',
          message: 'drift: LimitRange tenant-a/defaults deleted',
          correcting: true,
        },
      }),
      pack({
        name: 'web',
        layer: 'addon',
        phase: 'success',
        lastDrift: {
          time: '2026-01-01T00:06:00.000Z',
          message: 'drift: Deployment web/web changed by kubectl-edit',
          correcting: false,
        },
      }),
    ]);
    const text = renderStatusPage(drifted, plain);
    expect(text).toContain(
      '      ↺ drift corrected at 2026-01-01T00:05:00.000Z: LimitRange tenant-a/defaults deleted\n',
    );
    expect(text).toContain(
      '      ⚠ drift (not corrected) at 2026-01-01T00:06:00.000Z: Deployment web/web changed by kubectl-edit\n',
    );
  });

  it('shows an unreachable cluster and marks the colours it shows as the last known', () => {
    const unreachable = page([pack({ name: 'a', layer: 'addon', phase: 'success', stale: true })], {
      reachable: false,
      error: 'dial tcp 127.0.0.1:6443: connect: connection refused',
      phase: 'success',
      color: 'green',
    });
    const text = renderStatusPage(unreachable, plain);
    expect(text).toContain('unreachable: dial tcp 127.0.0.1:6443: connect: connection refused');
    expect(text).toContain('(last known: the cluster is unreachable)');
  });

  it('says so when nothing is attached', () => {
    const text = renderStatusPage(
      { ...page([], { phase: 'success', color: 'green' }), attachments: [] },
      plain,
    );
    expect(text).toBe(
      'Cluster dev  ✓ Success  reachable  https://127.0.0.1:6443\nProfiles: none attached\n[----------] 0/0 packs green\n',
    );
  });
});

describe('waitVerdict', () => {
  const green = pack({ name: 'a', layer: 'addon', phase: 'success' });

  it('is done and ok when every pack is green on a reachable cluster', () => {
    expect(waitVerdict(page([green]))).toEqual({ done: true, ok: true });
  });

  it('fails as soon as a pack is red, naming it and why', () => {
    const verdict = waitVerdict(mixedPage);
    expect(verdict.done && !verdict.ok && verdict.failed.map((p) => p.name)).toEqual(['broken-web']);
    if (verdict.done && !verdict.ok) {
      expect(packLines(verdict.failed)).toEqual([
        '  ✗ broken-web (Failed): Error: ImagePullBackOff: Pod broken/broken-web-7d9: image "registry.example/nope" not found',
      ]);
    }
  });

  it('keeps waiting while packs are not green, and on stale colours of an unreachable cluster', () => {
    const waiting = waitVerdict(page([green, pack({ name: 'b', layer: 'addon', phase: 'processing' })]));
    expect(waiting).toMatchObject({ done: false, unreachable: false });
    const stale = waitVerdict(
      page([{ ...green, stale: true }, pack({ name: 'c', layer: 'addon', phase: 'failed', stale: true })], {
        reachable: false,
      }),
    );
    expect(stale).toMatchObject({ done: false, unreachable: true });
  });
});

describe('renderStatusPage at a width', () => {
  const long = page([
    pack({
      name: 'cert-manager',
      layer: 'addon',
      phase: 'failed',
      version: 'v1.14.0',
      profile: 'platform-tools',
      progress: { ready: 2, total: 12 },
      startTime: '2025-01-01T11:59:00Z',
      endTime: '2025-01-01T11:59:40Z',
      reason: 'ImagePullBackOff',
      message:
        'Pod cert-manager/cert-manager-webhook-7d9: Back-off pulling image "quay.io/jetstack/cert-manager-webhook:v9"',
    }),
  ]);

  it('fits 80 columns by wrapping the reason and cutting the bar, never a value', () => {
    const text = renderStatusPage(long, { ...plain, width: 80 });
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    const row = text.split('\n').find((l) => l.includes('cert-manager  '));
    expect(row).toMatch(/✗ Failed\s+cert-manager\s+v1\.14\.0\s+platform-tools\s+\[[#-]*\] 2\/12\s+took 40s$/);
    // The whole reason, the image name included, over two lines broken at a space, aligned after the arrow.
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes('↳'));
    expect(lines.slice(at, at + 2)).toEqual([
      '      ↳ Error: ImagePullBackOff: Pod cert-manager/cert-manager-webhook-7d9:',
      '        Back-off pulling image "quay.io/jetstack/cert-manager-webhook:v9"',
    ]);

    // Narrower still: the bar gives way before any value does.
    const narrow = renderStatusPage(long, { ...plain, width: 70 });
    for (const line of narrow.split('\n')) expect(line.length, line).toBeLessThanOrEqual(70);
    expect(narrow).toContain('  ✗ Failed  cert-manager  v1.14.0  platform-tools  [--] 2/12  took 40s\n');
  });

  it('cuts a reason only past four lines, and breaks a word longer than a line', () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    expect(wrap(words, 40, 8, 4).map((l) => l.length <= 32)).toEqual([true, true, true, true]);
    expect(wrap(words, 40, 8, 4).at(-1)).toMatch(/…$/);
    expect(wrap(words, 40, 8, 4).join(' ').startsWith('word0 word1 word2')).toBe(true);
    expect(wrap('x'.repeat(70), 40, 8, 4)).toEqual(['x'.repeat(32), 'x'.repeat(32), 'x'.repeat(6)]);
    expect(wrap('short', 40, 8, 4)).toEqual(['short']);
    expect(wrap(words, undefined, 8, 4)).toEqual([words]);
  });

  it('keeps the header, the profiles and the counts within the width without cutting a value', () => {
    const many = {
      ...mixedPage,
      cluster: {
        ...mixedPage.cluster,
        reachable: false,
        error: 'Get "https://127.0.0.1:6443/api": dial tcp 127.0.0.1:6443: connect: connection refused',
      },
      attachments: ['local-infra', 'monitoring', 'platform-tools', 'broken-addon'].map((profile) => ({
        cluster: 'dev',
        profile,
        version: '0.10.0',
        values: {},
        updateAvailable: '0.11.0',
      })),
    };
    const text = renderStatusPage(many, { ...plain, width: 80 });
    const lines = text.split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(
      /^Cluster dev {2}✗ Failed {2}unreachable: Get "https:.*… {2}https:\/\/127\.0\.0\.1:6443$/,
    );
    expect(lines.slice(1, 4)).toEqual([
      'Profiles: local-infra@0.10.0 (update available: 0.11.0),',
      '          monitoring@0.10.0 (update available: 0.11.0),',
      '          platform-tools@0.10.0 (update available: 0.11.0),',
    ]);
    expect(text).toMatch(
      /\n\[#*-*\] 1\/4 packs green {3}✓ 1 Success {2}◐ 1 Processing {2}○ 1 Onboarding {2}✗ 1 Failed\n/,
    );
  });

  it('prints everything when there is no width (a pipe without COLUMNS)', () => {
    const text = renderStatusPage(long, plain);
    expect(text).toContain('quay.io/jetstack/cert-manager-webhook:v9"\n');
    expect(text).toContain('[#---------] 2/12');
  });

  it('marks the page last known while the hub is down', () => {
    const text = renderStatusPage(long, { ...plain, hubDownSince: NOW });
    expect(text.split('\n')[0]).toBe('⚠ hub unreachable since 12:00:00, showing last known');
    expect(text).toContain('Cluster dev  ✗ Failed (last known)');
    expect(text).toMatch(/took 40s \(last known\)\n/);
  });
});
