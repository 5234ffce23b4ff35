import { describe, expect, it } from 'vitest';
import type { Store } from '../store/index.js';
import type { HubEvent } from './feed.js';
import { EventRelay } from './replica-relay.js';

/** The store's broadcast as PostgreSQL does it: every listener, the sender's own included, in send order. */
function bus() {
  const listeners = new Set<(message: string) => void>();
  const store: Pick<Store, 'broadcast' | 'listenForBroadcasts'> = {
    broadcast: (message) => {
      for (const l of listeners) l(message);
      return Promise.resolve();
    },
    listenForBroadcasts: (onMessage) => {
      listeners.add(onMessage);
      return Promise.resolve({
        close: () => {
          listeners.delete(onMessage);
          return Promise.resolve();
        },
      });
    },
  };
  return store;
}

async function replica(store: ReturnType<typeof bus>, id: string) {
  const state = { position: 0, delivered: [] as HubEvent[], logs: [] as string[], leaseReads: 0 };
  const relay = new EventRelay(store, {
    id,
    position: () => state.position,
    deliver: (event) => state.delivered.push(event),
    onLeasesChanged: () => {
      state.leaseReads++;
    },
    log: (m) => state.logs.push(m),
  });
  await relay.start();
  return { relay, state };
}

const time = '2026-03-01T10:00:00.000Z';
const drift: HubEvent = {
  kind: 'pack.drift',
  cluster: 'prod',
  pack: 'metrics-store',
  time,
  data: { time, message: 'Deployment metrics-store: replicas changed', correcting: true },
};
const removed: HubEvent = {
  kind: 'attachment.removed',
  cluster: 'prod',
  time,
  data: { profile: 'monitoring' },
};

describe('EventRelay', () => {
  it('gives every other replica an emitted ephemeral event once, and never echoes it to the sender', async () => {
    const store = bus();
    const a = await replica(store, 'a');
    const b = await replica(store, 'b');
    const c = await replica(store, 'c');
    a.relay.publish(drift);
    a.relay.publish(removed);
    await a.relay.sent();
    expect(a.state.delivered).toEqual([]);
    expect(b.state.delivered).toEqual([drift, removed]);
    expect(c.state.delivered).toEqual([drift, removed]);
  });

  it('relays no stored, connection or summary event: every replica sends those itself', async () => {
    const store = bus();
    const a = await replica(store, 'a');
    const b = await replica(store, 'b');
    a.relay.publish({ kind: 'cluster.connection', cluster: 'prod', time, data: { reachable: false } });
    a.relay.publish({ kind: 'pack.removed', id: 3, cluster: 'prod', pack: 'x', time, data: {} });
    await a.relay.sent();
    expect(b.state.delivered).toEqual([]);
  });

  it('tells the other replicas, not itself, to read the leases when it stored a change of its clusters’ state', async () => {
    const store = bus();
    const a = await replica(store, 'a');
    const b = await replica(store, 'b');
    a.relay.leasesChanged();
    await a.relay.sent();
    expect([a.state.leaseReads, b.state.leaseReads]).toEqual([0, 1]);
    expect(b.state.delivered).toEqual([]);
  });

  it('holds a relayed event until this replica has streamed the stored events the sender had streamed before it', async () => {
    const store = bus();
    const a = await replica(store, 'a');
    const b = await replica(store, 'b');
    a.state.position = 42;
    a.relay.publish(drift);
    a.state.position = 43;
    a.relay.publish(removed);
    await a.relay.sent();
    // b's stream is behind: nothing yet, then each as its stream passes what preceded it on a.
    b.state.position = 41;
    b.relay.caughtUp();
    expect(b.state.delivered).toEqual([]);
    b.state.position = 42;
    b.relay.caughtUp();
    expect(b.state.delivered).toEqual([drift]);
    b.state.position = 50;
    b.relay.caughtUp();
    expect(b.state.delivered).toEqual([drift, removed]);
  });

  it('ignores a broadcast that is not a relayed event, and says so', async () => {
    const store = bus();
    const b = await replica(store, 'b');
    await store.broadcast('{"from":"a","after":0,"event":{"kind":"pack.drift"}}');
    await store.broadcast('not json');
    expect(b.state.delivered).toEqual([]);
    expect(b.state.logs).toHaveLength(2);
  });
});
