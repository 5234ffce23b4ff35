// `strata status` against an in-memory hub: scoped waits, what -o json says was waited on, and --watch
// through a hub that dies and comes back.
import { describe, expect, it, vi } from 'vitest';
import { NOW, page, pack } from '../testing/page.js';
import type { Output } from '../command.js';
import { main } from '../main.js';
import { FakeHub } from '../testing/fake-hub.js';
import { timeoutError } from './status.js';

function capture(isTTY = false, columns?: number): Output & { text: () => string } {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    isTTY,
    columns,
    text: () => text,
  };
}

function start(hub: FakeHub, argv: string[], options: { env?: Record<string, string>; tty?: boolean } = {}) {
  const stdout = options.tty === true ? capture(true, 80) : capture();
  const stderr = capture();
  const interrupt = new AbortController();
  const code = main(argv, {
    stdout,
    stderr,
    env: { HOME: '/nonexistent', ...options.env },
    cwd: '/tmp',
    now: () => NOW,
    fetch: hub.fetch,
    signal: interrupt.signal,
    // Reconnect at once, but through the event loop so the test's polling runs in between.
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
  });
  return { code, stdout, stderr, interrupt };
}

const twoProfiles = (appPhase: 'processing' | 'success') =>
  page([
    pack({ name: 'web', layer: 'addon', phase: appPhase, profile: 'app', progress: { ready: 1, total: 2 } }),
    pack({
      name: 'broken-web',
      layer: 'addon',
      phase: 'failed',
      profile: 'other',
      reason: 'ImagePullBackOff',
      message: 'Pod broken/broken-web-7d9: image "registry.example/nope" not found',
    }),
  ]);

describe('strata status --profile / --pack', () => {
  it('--wait --profile waits on that profile only: another profile red does not end it, green does', async () => {
    const hub = new FakeHub(twoProfiles('processing'));
    const run = start(hub, ['status', 'dev', '--wait', '--profile', 'app', '--timeout', '1m']);
    await vi.waitFor(() => {
      expect(run.stderr.text()).toContain('[----------] 0/1 packs green  ◐ web Processing');
    });
    hub.page = twoProfiles('success');
    hub.emit({ kind: 'pack.status', pack: 'web' });
    expect(await run.code).toBe(0);
    expect(run.stderr.text()).not.toContain('error');
    expect(run.stdout.text()).toContain('Showing: profile app (1 of 2 packs)');
    expect(run.stdout.text()).toMatch(/✓ Success\s+web/);
    expect(run.stdout.text()).not.toContain('broken-web');
  });

  it('without --profile the same red pack ends the wait with 1, naming it and why once', async () => {
    const hub = new FakeHub(twoProfiles('processing'));
    const run = start(hub, ['status', 'dev', '--wait', '--timeout', '1m']);
    expect(await run.code).toBe(1);
    expect(run.stderr.text()).toContain(
      'error: cluster dev: 1 pack failed (PACK_FAILED)\n' +
        '  ✗ broken-web (Failed): Error: ImagePullBackOff: Pod broken/broken-web-7d9: image "registry.example/nope" not found\n',
    );
  });

  it('-o json says what was waited on, and shows only those packs', async () => {
    const hub = new FakeHub(twoProfiles('success'));
    const run = start(hub, ['status', 'dev', '--wait', '--profile', 'app', '-o', 'json']);
    expect(await run.code).toBe(0);
    const doc = JSON.parse(run.stdout.text()) as { waitedOn: unknown; packs: { name: string }[] };
    expect(doc.waitedOn).toEqual({ profiles: ['app'], packs: ['web'] });
    expect(doc.packs.map((p) => p.name)).toEqual(['web']);

    const byPack = start(new FakeHub(twoProfiles('success')), [
      'status',
      'dev',
      '--pack',
      'broken-web',
      '-o',
      'json',
    ]);
    expect(await byPack.code).toBe(0);
    const shown = JSON.parse(byPack.stdout.text()) as { packs: { name: string }[]; waitedOn?: unknown };
    expect(shown.packs.map((p) => p.name)).toEqual(['broken-web']);
    expect(shown.waitedOn).toBeUndefined();
  });

  it('names a profile or pack the cluster does not have, with did you mean, instead of waiting', async () => {
    const profile = start(new FakeHub(twoProfiles('success')), [
      'status',
      'dev',
      '--wait',
      '--profile',
      'ap',
    ]);
    expect(await profile.code).toBe(1);
    expect(profile.stderr.text()).toContain(
      'error: --profile ap: no such profile is attached to cluster dev; did you mean "app"?',
    );
    const packRun = start(new FakeHub(twoProfiles('success')), ['status', 'dev', '--pack', 'wbe']);
    expect(await packRun.code).toBe(1);
    expect(packRun.stderr.text()).toContain(
      'error: --pack wbe: cluster dev has no such pack; did you mean "web"?',
    );
  });
});

describe('strata status --watch when the hub goes away', () => {
  it('says since when the hub is unreachable, marks the page last known, and recovers with a replay', async () => {
    const hub = new FakeHub(twoProfiles('processing'));
    const run = start(hub, ['status', 'dev', '--watch']);
    await vi.waitFor(() => {
      expect(run.stdout.text()).toContain('◐ Processing  web');
    });
    hub.emit({ kind: 'pack.status', pack: 'web' });
    await vi.waitFor(() => {
      expect(hub.requests.filter((r) => r.path.endsWith('/page')).length).toBe(2);
    });

    hub.kill();
    await vi.waitFor(() => {
      expect(run.stdout.text()).toContain('⚠ hub unreachable since 12:00:00, showing last known');
    });
    const down = run.stdout.text();
    expect(down.slice(down.lastIndexOf('⚠ hub unreachable'))).toMatch(/◐ Processing\s+web .*\(last known\)/);
    // It keeps trying while the hub is down.
    await vi.waitFor(() => {
      expect(hub.requests.filter((r) => r.path === '/api/v1/events').length).toBeGreaterThan(3);
    });

    hub.page = twoProfiles('success');
    hub.up();
    await vi.waitFor(() => {
      expect(hub.streams.length).toBe(2);
    });
    // The reconnect resumes after the last event seen, so the hub replays what was missed.
    expect(hub.streams[1]?.lastEventId).toBe('1');
    await vi.waitFor(() => {
      const text = run.stdout.text();
      const last = text.slice(text.lastIndexOf('Cluster dev'));
      expect(last).toMatch(/✓ Success\s+web/);
      expect(last).not.toContain('last known');
    });
    run.interrupt.abort();
    expect(await run.code).toBe(130);
  });
});

describe('strata status --watch when the hub says history it resumed past is gone', () => {
  it('reads the page again on history.pruned (an event of no cluster)', async () => {
    const hub = new FakeHub(twoProfiles('processing'));
    const run = start(hub, ['status', 'dev', '--watch']);
    await vi.waitFor(() => {
      expect(run.stdout.text()).toContain('◐ Processing  web');
    });
    const pages = () => hub.requests.filter((r) => r.path.endsWith('/page')).length;
    const before = pages();
    hub.page = twoProfiles('success');
    hub.emit({ kind: 'history.pruned', cluster: undefined, data: { lastEventId: 0 } });
    await vi.waitFor(() => {
      expect(pages()).toBe(before + 1);
      const text = run.stdout.text();
      expect(text.slice(text.lastIndexOf('Cluster dev'))).toMatch(/✓ Success\s+web/);
    });
    run.interrupt.abort();
    expect(await run.code).toBe(130);
  });
});

describe('strata status --watch -o json when the hub goes away', () => {
  it('prints the last known page again, saying since when the hub is unreachable', async () => {
    const hub = new FakeHub(twoProfiles('processing'));
    const run = start(hub, ['status', 'dev', '--watch', '-o', 'json']);
    await vi.waitFor(() => {
      expect(run.stdout.text()).toContain('"name":"web"');
    });
    hub.kill();
    await vi.waitFor(() => {
      expect(run.stdout.text().match(/^\{/gm)).toHaveLength(2);
    });
    const [live, stale] = run.stdout
      .text()
      .trimEnd()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { hubUnreachableSince?: string });
    expect(live?.hubUnreachableSince).toBeUndefined();
    expect(stale?.hubUnreachableSince).toBe('2025-01-01T12:00:00.000Z');
    run.interrupt.abort();
    expect(await run.code).toBe(130);
  });
});

describe('strata status --watch on a terminal when the hub goes away', () => {
  it('redraws the frame in place with the notice, within 80 columns', async () => {
    const hub = new FakeHub(twoProfiles('processing'));
    const run = start(hub, ['status', 'dev', '--watch', '--no-color'], { tty: true });
    await vi.waitFor(() => {
      expect(run.stdout.text()).toContain('◐ Processing  web');
    });
    hub.kill();
    await vi.waitFor(() => {
      const frame = run.stdout.text().split('\x1b[J').at(-1) ?? '';
      expect(frame.split('\n')[0]).toBe('⚠ hub unreachable since 12:00:00, showing last known');
    });
    const frame = run.stdout.text().split('\x1b[J').at(-1) ?? '';
    for (const line of frame.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    run.interrupt.abort();
    expect(await run.code).toBe(130);
  });
});

describe('timeoutError', () => {
  const filter = { profiles: [], packs: [] };
  const view = (p: ReturnType<typeof page>) => ({
    page: p,
    totalPacks: p.packs.length,
    filter,
    wait: true,
  });

  it('counts and lists only the packs that are not green', () => {
    const p = page([
      pack({ name: 'a', layer: 'addon', phase: 'success' }),
      pack({ name: 'b', layer: 'addon', phase: 'success' }),
      pack({
        name: 'c',
        layer: 'addon',
        phase: 'processing',
        condition: 'Installed',
        reason: 'LessAvailable',
        message: '0/1 resources ready; waiting for Deployment c/c: 0/1 available',
      }),
    ]);
    const error = timeoutError(view(p), 'dev', '1m');
    expect(error.message).toBe('timed out after 1m waiting for cluster dev: 1 pack not green');
    expect(error.exitCode).toBe(2);
    expect(error.issues.map((i) => i.formatted)).toEqual([
      '  ◐ c (Processing): Installed: 0/1 resources ready; waiting for Deployment c/c: 0/1 available',
    ]);
  });

  it('on an unreachable cluster says so instead of counting last-known green packs as not green', () => {
    const p = page(
      [
        pack({ name: 'a', layer: 'addon', phase: 'success', stale: true }),
        pack({ name: 'b', layer: 'addon', phase: 'success', stale: true }),
      ],
      { reachable: false, error: 'connection refused' },
    );
    const error = timeoutError(view(p), 'dev', '1m');
    expect(error.message).toBe('timed out after 1m waiting for cluster dev: the cluster is unreachable');
    expect(error.issues.map((i) => i.formatted)).toEqual([
      '  cluster unreachable: connection refused (2 green packs only last known)',
    ]);
  });
});
