// The agent against a fake hub and the fake kube: what it pushes while the hub refuses, after it returns, after
// the agent restarts on the same state dir, and what it does with a retry the hub asks for.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeKube } from '../kube/testing/fake-kube.js';
import { configMap, wavedPacks } from '../engine/testing/waved-packs.js';
import type { PackStatus } from '../status/index.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import { Agent, type HubApi } from './agent.js';
import { Outbox } from './outbox.js';
import { HubClient, HubFailure, HubRequestError } from './hub-client.js';
import type { AgentDesired, AgentEvent, OutboxBatch } from './protocol.js';

const PACKS = wavedPacks(3, 2);

function document(retry: Record<string, number> = {}, version = '1.0.0'): AgentDesired {
  return {
    cluster: 'edge',
    driftPolicy: 'correct',
    packs: PACKS.map((d) => ({
      pack:
        d.pack.name === 'pack-0000' && d.pack.type === 'manifest'
          ? { ...d.pack, version, manifests: [{ ...configMap('pack-0000'), data: { version } }] }
          : d.pack,
      profile: d.profile,
      wave: d.wave,
      order: d.order,
      explanation: d.explanation,
    })),
    healthRules: [],
    actions: { resync: 0, retry },
    pollSeconds: 1,
    session: 'hub-1',
  };
}

/** The hub as the agent sees it: keeps what it is pushed, once per stream position, like the real one. */
class FakeHub implements HubApi {
  refusing = false;
  desiredNext: AgentDesired | undefined = document();
  readonly stored: { stream: string; seq: number; event: AgentEvent }[] = [];
  private lastSeq = new Map<string, number>();

  desired(): Promise<AgentDesired | undefined> {
    const next = this.desiredNext;
    this.desiredNext = undefined;
    return Promise.resolve(next);
  }
  chart(): Promise<Buffer> {
    return Promise.reject(new Error('no charts here'));
  }
  statuses(): Promise<{ acked: number; packs: { pack: string; status: PackStatus }[] }> {
    return Promise.resolve({ acked: 0, packs: [] });
  }
  push(batch: OutboxBatch): Promise<{ acked: number }> {
    if (this.refusing) return Promise.reject(new HubRequestError(HubFailure.Unavailable, 'hub away'));
    let last = this.lastSeq.get(batch.stream) ?? 0;
    for (const item of batch.events) {
      if (item.seq <= last) continue;
      expect(item.seq).toBe(last + 1);
      this.stored.push({ stream: batch.stream, seq: item.seq, event: item.event });
      last = item.seq;
    }
    this.lastSeq.set(batch.stream, last);
    return Promise.resolve({ acked: last });
  }

  /** The last status stored per pack. */
  phases(): Map<string, string> {
    const out = new Map<string, string>();
    for (const { event } of this.stored)
      if (event.type === 'PackStatusChanged') out.set(event.pack, event.status.phase);
    return out;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const agents: Agent[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

function startAgent(hub: FakeHub, kube: FakeKube, stateDir: string): Promise<Agent> {
  const agent = new Agent({
    client: hub,
    kube,
    helmBin: '/nonexistent',
    stateDir,
    log: () => undefined,
    pollMs: 20,
  });
  agents.push(agent);
  return agent.start().then(() => agent);
}

const allGreen = (hub: FakeHub) => () => PACKS.every((d) => hub.phases().get(d.pack.name) === 'success');

describe('strata agent (fake hub, fake kube)', { timeout: 20_000 }, () => {
  it('after a refused redirect, says where it pointed and asks the hub again with backoff, never there', async () => {
    // A proxy in front of the hub redirects (misconfigured) until someone mends it: the agent must outlive that.
    const elsewhere: string[] = [];
    const other = await listen((req, res) => {
      elsewhere.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document()));
    });
    let redirects = 3;
    let asked = 0;
    const hubUrl = await listen((_req, res) => {
      asked += 1;
      if (redirects-- > 0) res.writeHead(307, { location: `${other}/api/v1/agent/desired` }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document()));
    });
    // The real client asks for the desired state; the rest is the fake hub's.
    const client = new HubClient({ hub: hubUrl, token: 't' });
    const hub = new FakeHub();
    hub.desired = () => client.desired();
    const logged: string[] = [];
    const agent = new Agent({
      client: hub,
      kube: new FakeKube(),
      helmBin: '/nonexistent',
      stateDir: mkdtempSync(join(tmpdir(), 'agent-')),
      log: (line) => logged.push(line),
      pollMs: 60_000,
    });
    agents.push(agent);
    await agent.start();
    expect(agent.cluster).toBe('edge');
    expect(asked).toBe(4);
    expect(elsewhere).toEqual([]);
    // Said once, naming where the redirect pointed, not once per try.
    const said = logged.filter((line) => line.includes('redirect'));
    expect(said).toEqual([
      `strata agent: hub ${hubUrl} answered GET /api/v1/agent/desired with a redirect (307) to ${other}: the agent does not follow redirects; set its hub URL to the hub's own (or mend the proxy in front of it); waiting for the hub`,
    ]);
  });

  it('keeps events while the hub refuses them and delivers them in order, once, when it answers', async () => {
    const hub = new FakeHub();
    hub.refusing = true;
    const agent = await startAgent(hub, new FakeKube(), mkdtempSync(join(tmpdir(), 'agent-')));
    await until('events waiting', () => agent.pending >= PACKS.length * 2);
    expect(hub.stored).toEqual([]);
    hub.refusing = false;
    await until('all green at the hub', allGreen(hub));
    await until('nothing pending', () => agent.pending === 0);
    expect(hub.stored.map((s) => s.seq)).toEqual(hub.stored.map((_, i) => i + 1));
  });

  it('a restart on the same state dir sends what was not acknowledged, numbering on, and each history goes on', async () => {
    const hub = new FakeHub();
    const kube = new FakeKube();
    const dir = mkdtempSync(join(tmpdir(), 'agent-'));
    const first = await startAgent(hub, kube, dir);
    await until('all green at the hub', allGreen(hub));
    await until('nothing pending', () => first.pending === 0);
    const delivered = hub.stored.length;
    // The hub goes away and an upgrade makes new events: they are still waiting when the agent stops.
    hub.refusing = true;
    hub.desiredNext = document({}, '1.0.1');
    await until('events waiting', () => first.pending > 0);
    await first.stop();
    agents.splice(agents.indexOf(first), 1);
    // The new process asks the hub for the desired state again (the kept one would do as well).
    hub.desiredNext = document({}, '1.0.1');
    hub.refusing = false;
    const second = await startAgent(hub, kube, dir);
    await until('the restarted agent reported', () => hub.stored.length > delivered && second.pending === 0);
    const seqs = hub.stored.map((s) => s.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(new Set(hub.stored.map((s) => s.stream)).size).toBe(1);
    // Each pack's history went on from where it was: none started again.
    for (const d of PACKS) {
      const last = hub.stored.findLast(
        (s) => s.event.type === 'PackStatusChanged' && s.event.pack === d.pack.name,
      );
      const transitions = last?.event.type === 'PackStatusChanged' ? last.event.status.transitions : [];
      expect(transitions[0]?.from, d.pack.name).toBe('onboarding');
      expect(transitions.filter((t) => t.from === 'onboarding').length, d.pack.name).toBe(1);
    }
  });

  it('runs a pack again when the hub asks for a retry', async () => {
    const hub = new FakeHub();
    const kube = new FakeKube();
    const agent = await startAgent(hub, kube, mkdtempSync(join(tmpdir(), 'agent-')));
    await until('all green at the hub', allGreen(hub));
    await until('nothing pending', () => agent.pending === 0);
    const applies = kube.actions.filter((a) => a.verb === 'apply').length;
    hub.desiredNext = document({ 'pack-0000': 1 });
    await until(
      'the pack applied again',
      () => kube.actions.filter((a) => a.verb === 'apply').length > applies,
    );
    expect(kube.actions.filter((a) => a.verb === 'apply').at(-1)).toMatchObject({
      ref: { name: 'pack-0000' },
    });
  });

  it('after a crash, goes on from the latest status its outbox holds, not the older one saved beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-'));
    const earlier = advance(packStatus('onboarding'), 'processing', '2026-01-01T00:00:01.000Z');
    const later = advance(earlier, 'success', '2026-01-01T00:00:02.000Z');
    writeFileSync(join(dir, 'statuses.json'), JSON.stringify({ 'pack-0000': earlier }));
    const outbox = await Outbox.open(dir);
    await outbox.push({ type: 'PackStatusChanged', pack: 'pack-0000', profile: 'apps', status: later });
    const hub = new FakeHub();
    await startAgent(hub, new FakeKube(), dir);
    await until('all green at the hub', allGreen(hub));
    const last = hub.stored.findLast(
      (s) => s.event.type === 'PackStatusChanged' && s.event.pack === 'pack-0000',
    );
    const transitions = last?.event.type === 'PackStatusChanged' ? last.event.status.transitions : [];
    expect(transitions.slice(0, 2)).toEqual(later.transitions);
  });

  it("sends a pack's Warning events when they change, redacted, and all of them again to a new hub session", async () => {
    const hub = new FakeHub();
    const kube = new FakeKube();
    const secret = 'pw-0000-secret';
    const base = document();
    const withSecret = {
      ...base,
      packs: base.packs.map((p) => (p.pack.name === 'pack-0000' ? { ...p, sensitive: [secret] } : p)),
    };
    hub.desiredNext = withSecret;
    const agent = await startAgent(hub, kube, mkdtempSync(join(tmpdir(), 'agent-')));
    await until('all green at the hub', allGreen(hub));
    const details = () => hub.stored.filter((s) => s.event.type === 'PackDetails').map((s) => s.event);
    // Nothing to say of packs without warnings or notes.
    expect(details()).toEqual([]);
    const cm = kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'pack-0000' });
    kube.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'pack-0000.1', namespace: 'apps' },
      type: 'Warning',
      reason: 'Tampered',
      message: `rejected value ${secret}\u001b[0m`,
      count: 1,
      lastTimestamp: '2026-01-01T00:00:05Z',
      involvedObject: {
        kind: 'ConfigMap',
        namespace: 'apps',
        name: 'pack-0000',
        uid: cm?.metadata?.uid ?? '',
      },
    } as never);
    await until('the warning sent', () => details().length === 1, 5_000);
    expect(details()[0]).toEqual({
      type: 'PackDetails',
      pack: 'pack-0000',
      warnings: [
        {
          ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'pack-0000' },
          events: [
            {
              object: 'ConfigMap apps/pack-0000',
              reason: 'Tampered',
              message: 'rejected value ******[0m',
              count: 1,
              time: '2026-01-01T00:00:05Z',
            },
          ],
        },
      ],
    });
    // A restarted hub (or another replica driving the cluster) has none of them: they go again, once.
    hub.desiredNext = { ...withSecret, session: 'hub-2' };
    await until('the warning sent again', () => details().length === 2, 5_000);
    await until('nothing pending', () => agent.pending === 0);
    expect(details()[1]).toEqual(details()[0]);
  });
});
