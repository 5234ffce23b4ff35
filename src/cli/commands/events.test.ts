// `strata events --profile/--pack` against an in-memory hub: the stream is filtered on the client.
import { describe, expect, it, vi } from 'vitest';
import { NOW, page, pack } from '../testing/page.js';
import type { Output } from '../command.js';
import { main } from '../main.js';
import { FakeHub } from '../testing/fake-hub.js';
import { eventLine } from '../render/events.js';
import { painter } from '../render/color.js';

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

const cluster = page([
  pack({ name: 'web', layer: 'addon', phase: 'success', profile: 'app' }),
  pack({ name: 'broken-web', layer: 'addon', phase: 'failed', profile: 'other' }),
]);

/** Runs `strata events …` and replays three stored events: one per pack and one of the cluster's own. */
async function events(argv: string[], hub = new FakeHub(cluster)) {
  const stdout = capture();
  const stderr = capture();
  const code = main(['events', 'dev', ...argv], {
    stdout,
    stderr,
    env: { HOME: '/nonexistent' },
    cwd: '/tmp',
    now: () => NOW,
    fetch: hub.fetch,
  });
  await vi.waitFor(() => {
    expect(hub.streams.length + stderr.text().length).toBeGreaterThan(0);
  });
  if (hub.streams.length > 0) {
    hub.emit({
      kind: 'pack.transition',
      pack: 'web',
      data: {
        transition: { from: 'processing', to: 'success', condition: 'Ready', reason: '', message: '' },
      },
    });
    hub.emit({
      kind: 'pack.transition',
      pack: 'broken-web',
      data: {
        transition: {
          from: 'processing',
          to: 'failed',
          condition: 'Error',
          reason: 'ImagePullBackOff',
          message: 'Pod broken/broken-web-7d9: ImagePullBackOff: Back-off pulling image "nope"',
        },
      },
    });
    hub.emit({ kind: 'cluster.updated' });
    hub.live();
  }
  return { code: await code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('strata events', () => {
  it('prints every event without a filter, each reason once', async () => {
    const result = await events([]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      /pack\.transition\s+broken-web\s+◐ Processing → ✗ Failed {2}Error: Pod broken\/broken-web-7d9: ImagePullBackOff: Back-off pulling image "nope"$/,
    );
  });

  it('--pack keeps that pack and the cluster’s own events', async () => {
    const result = await events(['--pack', 'web']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/pack\.transition\s+web\s/);
    expect(result.stdout).not.toContain('broken-web');
    expect(result.stdout).toContain('cluster.updated');
  });

  it('--profile keeps the packs of that profile', async () => {
    const result = await events(['--profile', 'other']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('broken-web');
    expect(result.stdout).not.toMatch(/pack\.transition\s+web\s/);
  });

  it('names a profile the cluster does not have', async () => {
    const result = await events(['--profile', 'nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: --profile nope: no such profile is attached to cluster dev');
  });
});

describe('strata events --follow after a resume the hub could not replay whole', () => {
  it('says which events are incomplete when the hub reports history.pruned', () => {
    const line = eventLine(
      { id: 40, kind: 'history.pruned', time: '2025-01-01T12:00:00.000Z', data: { lastEventId: 12 } },
      painter(false),
    );
    expect(line).toBe(
      "2025-01-01T12:00:00.000Z  history.pruned     -  the hub's retention deleted some events after 12: " +
        'what is listed up to 40 is incomplete\n',
    );
  });
});
