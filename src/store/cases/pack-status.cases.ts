import { describe, expect, it } from 'vitest';
import type { PackPhase } from '../../status/index.js';
import { cutText } from '../../shared/kept-text.js';
import { StoreErrorCode } from '../errors.js';
import { toPackStatus } from '../pack-status.js';
import type { StoredEvent } from '../transitions.js';
import type { TestBackend } from '../testing/backends.js';
import { advance, packStatus } from '../testing/fixtures.js';
import { expectStoreError } from './expect-error.js';

const ids = (events: readonly StoredEvent[]) => events.map((e) => e.id);

function expectStrictlyIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1] as number);
}

export function packStatusCases(env: TestBackend): void {
  describe('pack status and history', () => {
    it('writes the current view row and reads it back as it was written', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      const status = {
        ...packStatus('processing', { resourceCount: 4 }),
        timedOut: { deadline: '2026-01-01T00:10:00.000Z', after: '10m' },
        // Every run's times survive the round trip (migration 0005): the history of installs and retries.
        runs: [
          {
            kind: 'install' as const,
            revision: 'r1',
            startTime: '2026-01-01T00:00:00.000Z',
            endTime: '2026-01-01T00:00:32.000Z',
            outcome: 'failed' as const,
          },
          { kind: 'retry' as const, revision: 'r1', startTime: '2026-01-01T00:05:00.000Z' },
        ],
      };
      const { record, events } = await store.packStatus.record({ cluster: 'prod', pack: 'grafana', status });
      expect(record.runs?.map((r) => r.kind)).toEqual(['install', 'retry']);
      expect(record).toMatchObject({
        cluster: 'prod',
        pack: 'grafana',
        phase: 'processing',
        progress: { ready: 2, total: 4 },
      });
      expect(toPackStatus(record)).toEqual(status);
      expect(await store.packStatus.get('prod', 'grafana')).toEqual(record);
      expect(record.seq).toBe(events.at(-1)?.id);

      await store.packStatus.record({ cluster: 'prod', pack: 'alloy', status: packStatus('onboarding') });
      expect((await store.packStatus.list('prod')).map((p) => p.pack)).toEqual(['alloy', 'grafana']);
      expect(await store.packStatus.get('prod', 'nope')).toBeUndefined();
      await expectStoreError(
        store.packStatus.record({ cluster: 'nope', pack: 'x', status }),
        StoreErrorCode.NotFound,
      );
    });

    it('writes a batch of statuses in one transaction, in order, and nothing of it when one fails', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      const published: number[][] = [];
      store.onEvents((events) => published.push(ids(events)));
      const recorded = await store.packStatus.recordMany([
        { cluster: 'prod', pack: 'b', status: packStatus('processing') },
        { cluster: 'prod', pack: 'a', status: packStatus('success') },
      ]);
      expect(recorded.map((r) => r.record.pack)).toEqual(['b', 'a']);
      expectStrictlyIncreasing(recorded.map((r) => r.record.seq));
      // One commit, one publication carrying both writes' events.
      expect(published).toEqual([recorded.flatMap((r) => ids(r.events))]);

      await expectStoreError(
        store.packStatus.recordMany([
          { cluster: 'prod', pack: 'c', status: packStatus('processing') },
          { cluster: 'nope', pack: 'x', status: packStatus('processing') },
        ]),
        StoreErrorCode.NotFound,
      );
      expect((await store.packStatus.list('prod')).map((p) => p.pack)).toEqual(['a', 'b']);
      expect(published).toHaveLength(1);
    });

    it('writes a batch larger than one part of status JSON whole, in order, the last write of a pack kept', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      const published: number[][] = [];
      store.onEvents((events) => published.push(ids(events)));
      // ~120 KB of JSON each (1,000 resources): the batch spans several 256 KiB parts, and pack `a` is written
      // in the first and in the last of them.
      const big = (phase: PackPhase) => packStatus(phase, { resourceCount: 1000 });
      const batch = [
        { cluster: 'prod', pack: 'a', status: big('processing') },
        ...['b', 'c', 'd', 'e'].map((pack) => ({ cluster: 'prod', pack, status: big('processing') })),
        { cluster: 'prod', pack: 'a', status: { ...big('processing'), message: 'the last write of a' } },
      ];
      const recorded = await store.packStatus.recordMany(batch);
      expect(recorded.map((r) => r.record.pack)).toEqual(['a', 'b', 'c', 'd', 'e', 'a']);
      expectStrictlyIncreasing(recorded.flatMap((r) => ids(r.events)));
      // One commit, one publication, whatever the parts.
      expect(published).toEqual([recorded.flatMap((r) => ids(r.events))]);
      const rows = await store.packStatus.list('prod');
      expect(rows.map((p) => [p.pack, p.seq])).toEqual(
        ['a', 'b', 'c', 'd', 'e'].map((pack) => [
          pack,
          recorded.findLast((r) => r.record.pack === pack)?.record.seq,
        ]),
      );
      const a = rows.find((p) => p.pack === 'a');
      expect(a?.message).toBe('the last write of a');
      expect(a?.resources).toHaveLength(1000);
      const stored = await store.eventsSince(0, { cluster: 'prod' });
      const statuses = stored.filter((e) => e.kind === 'pack.status');
      expect(statuses.map((e) => e.id)).toEqual(recorded.map((r) => r.record.seq));
      expect(statuses.at(-1)?.kind === 'pack.status' && statuses.at(-1)).toMatchObject({
        status: { pack: 'a', message: 'the last write of a', seq: a?.seq },
      });
    });

    it('stores text of any script byte for byte in a batch, and bridges a pack added again in it', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      await store.clusters.create({ name: 'staging', kubeconfig: 'k' });
      // Characters of 1 to 4 bytes in UTF-8 (2 UTF-16 units for the last), before the resources in each status
      // JSON and inside them: a row's resources are cut out of its status event's JSON by position.
      const text = (i: number) => `état ${i} 日本語 🚀 "quoted" \\ ${'ü'.repeat(i)}`;
      const status = (i: number, phase: PackPhase) => {
        const base = packStatus(phase, { resourceCount: 3, message: text(i) });
        return {
          ...base,
          resources: base.resources.map((r, j) => ({
            ...r,
            ref: { ...r.ref, name: `${r.ref.name}-ñ${j}` },
            evaluation: { ...r.evaluation, message: `${text(j)} 🧪`.repeat(j + 1) },
          })),
        };
      };
      const s1 = advance(packStatus('onboarding'), 'success', '2026-01-01T00:00:01.000Z');
      await store.packStatus.record({
        cluster: 'prod',
        pack: 'gone',
        status: s1,
        transitions: s1.transitions,
      });
      await store.packStatus.remove('prod', 'gone');
      const batch = [
        { cluster: 'prod', pack: 'grafana-日本', status: status(1, 'processing') },
        { cluster: 'staging', pack: 'loki', status: status(2, 'failed') },
        // Added again after its removal: its new life is chained to where its history ended (success).
        { cluster: 'prod', pack: 'gone', status: status(3, 'onboarding'), transitions: [] },
        { cluster: 'prod', pack: 'grafana-日本', status: status(4, 'success') },
      ];
      const recorded = await store.packStatus.recordMany(batch);
      for (const [i, { record }] of recorded.entries()) {
        const { transitions: _t, ...written } = (batch[i] as (typeof batch)[number]).status;
        expect(record).toMatchObject(written);
      }
      const rows = [...(await store.packStatus.list('prod')), ...(await store.packStatus.list('staging'))];
      expect(rows).toEqual([recorded[2], recorded[3], recorded[1]].map((r) => r?.record));
      const statuses = (await store.eventsSince(0)).filter((e) => e.kind === 'pack.status');
      expect(statuses.slice(-4).map((e) => e.status)).toEqual(recorded.map((r) => r.record));
      expect(
        (await store.history.transitions('prod', 'gone')).map((t) => `${t.from}→${t.to} ${t.reason}`),
      ).toEqual(['onboarding→success Ready', 'success→onboarding AddedAgain']);
    });

    it('appends a transition for every colour change and a status event for every write', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      const s0 = packStatus('onboarding');
      const s1 = advance(s0, 'processing', '2026-01-01T00:00:01.000Z');
      const s1b = { ...s1, message: '2/3 resources ready' }; // same colour: no transition
      const s2 = advance(s1b, 'failed', '2026-01-01T00:00:02.000Z');
      const s3 = advance(s2, 'success', '2026-01-01T00:00:03.000Z');
      const seqs: number[] = [];
      for (const status of [s0, s1, s1b, s2, s3]) {
        seqs.push((await store.packStatus.record({ cluster: 'prod', pack: 'grafana', status })).record.seq);
      }
      expectStrictlyIncreasing(seqs);

      const history = await store.history.transitions('prod', 'grafana');
      expect(history.map((t) => [t.from, t.to, t.time])).toEqual([
        ['onboarding', 'processing', '2026-01-01T00:00:01.000Z'],
        ['processing', 'failed', '2026-01-01T00:00:02.000Z'],
        ['failed', 'success', '2026-01-01T00:00:03.000Z'],
      ]);
      expect((await store.history.transitions('prod', 'grafana', { limit: 1 })).map((t) => t.to)).toEqual([
        'success',
      ]);

      const events = await store.eventsSince(0, { cluster: 'prod' });
      expect(events.map((e) => e.kind)).toEqual([
        'cluster.registered',
        'pack.status',
        'pack.transition',
        'pack.status',
        'pack.status',
        'pack.transition',
        'pack.status',
        'pack.transition',
        'pack.status',
      ]);
      const last = events.at(-1);
      expect(last?.kind === 'pack.status' && last.status).toEqual(
        await store.packStatus.get('prod', 'grafana'),
      );
    });

    it('records the transitions it is given when one write covers several steps', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      const s0 = packStatus('onboarding');
      await store.packStatus.record({ cluster: 'prod', pack: 'p', status: s0 });
      const s1 = advance(s0, 'processing', '2026-01-01T00:00:01.000Z');
      const s2 = advance(s1, 'failed', '2026-01-01T00:00:02.000Z');
      const s3 = advance(s2, 'processing', '2026-01-01T00:00:03.000Z');
      await store.packStatus.record({ cluster: 'prod', pack: 'p', status: s3, transitions: s3.transitions });
      expect((await store.history.transitions('prod', 'p')).map((t) => t.to)).toEqual([
        'processing',
        'failed',
        'processing',
      ]);
      // The whole cluster's transitions, in the order they happened, each naming its pack.
      const other = advance(packStatus('onboarding'), 'processing', '2026-01-01T00:00:04.000Z');
      await store.packStatus.record({ cluster: 'prod', pack: 'q', status: other });
      expect((await store.history.clusterTransitions('prod')).map((t) => [t.pack, t.to, t.time])).toEqual([
        ['p', 'processing', '2026-01-01T00:00:01.000Z'],
        ['p', 'failed', '2026-01-01T00:00:02.000Z'],
        ['p', 'processing', '2026-01-01T00:00:03.000Z'],
        ['q', 'processing', '2026-01-01T00:00:04.000Z'],
      ]);
      expect(await store.history.clusterTransitions('nope')).toEqual([]);
    });

    it("keeps the highest deleted id per cluster too: another cluster's deleted rows are no loss to a cluster's stream", async () => {
      const { store, url } = await env.open();
      // Before any per-cluster figure (a store pruned by an older hub): all deleted may have been any cluster's.
      await env.query(url, "insert into strata_meta (key, value) values ('events_pruned_through', '1')");
      expect(await store.history.prunedThrough('dev')).toBe(1);
      await env.query(url, "delete from strata_meta where key = 'events_pruned_through'");

      for (const name of ['prod', 'dev']) await store.clusters.create({ name, kubeconfig: 'k' });
      const record = async (cluster: string, count: number) => {
        let status = packStatus('onboarding');
        for (let i = 0; i < count; i++) {
          status = advance(
            status,
            i % 2 === 0 ? 'processing' : 'failed',
            `2026-01-01T00:00:0${String(i)}.000Z`,
          );
          await store.packStatus.record({ cluster, pack: 'p', status });
        }
      };
      await record('dev', 1);
      await record('prod', 6);
      const ids = async (cluster: string) => (await store.eventsSince(0, { cluster })).map((e) => e.id);
      const [prodBefore, devBefore] = [await ids('prod'), await ids('dev')];
      expect(await store.history.prune({ keepPerPack: 2 })).toBeGreaterThan(0);
      const prodLeft = new Set(await ids('prod'));
      expect(await ids('dev')).toEqual(devBefore);
      const prodThrough = Math.max(...prodBefore.filter((id) => !prodLeft.has(id)));
      expect(await store.history.prunedThrough()).toBe(prodThrough);
      expect(await store.history.prunedThrough('prod')).toBe(prodThrough);
      // Nothing of dev was deleted: a dev stream resuming from its first event has lost nothing.
      expect(await store.history.prunedThrough('dev')).toBe(0);
      expect(await store.history.prunedThrough('nope')).toBe(0);

      // Now dev loses rows, newer than prod's: prod's figure stays (a prod stream lost nothing more), the hub's grows.
      await record('dev', 6);
      const devNow = await ids('dev');
      expect(await store.history.prune({ keepPerPack: 2 })).toBeGreaterThan(0);
      const devLeft = new Set(await ids('dev'));
      const devThrough = Math.max(...devNow.filter((id) => !devLeft.has(id)));
      expect(await store.history.prunedThrough('dev')).toBe(devThrough);
      expect(await store.history.prunedThrough('prod')).toBe(prodThrough);
      expect(await store.history.prunedThrough()).toBe(Math.max(prodThrough, devThrough));
    });

    it("forgets a removed cluster's figure with it, and one a later pass or an older hub wrote for it", async () => {
      const { store, url } = await env.open();
      const figures = async () =>
        (
          await env.query(
            url,
            "select key from strata_meta where key like 'events_pruned_through/cluster/%' order by key",
          )
        ).map((row) => row.key);
      for (const name of ['prod', 'dev']) await store.clusters.create({ name, kubeconfig: 'k' });
      for (const cluster of ['prod', 'dev']) {
        let status = packStatus('onboarding');
        for (let i = 0; i < 6; i++) {
          status = advance(
            status,
            i % 2 === 0 ? 'processing' : 'failed',
            `2026-01-01T00:00:0${String(i)}.000Z`,
          );
          await store.packStatus.record({ cluster, pack: 'p', status });
        }
      }
      expect(await store.history.prune({ keepPerPack: 4 })).toBeGreaterThan(0);
      expect(await figures()).toEqual([
        'events_pruned_through/cluster/dev',
        'events_pruned_through/cluster/prod',
      ]);
      const devThrough = await store.history.prunedThrough('dev');

      await store.clusters.delete('prod');
      expect(await figures()).toEqual(['events_pruned_through/cluster/dev']);
      // Its history stays, and retention goes on deleting from it: no figure comes back for it.
      expect(await store.history.prune({ keepPerPack: 2 })).toBeGreaterThan(0);
      expect(await figures()).toEqual(['events_pruned_through/cluster/dev']);
      expect(await store.history.prunedThrough('dev')).toBeGreaterThan(devThrough);

      // One an older hub left behind goes at the next pass, even one that deletes nothing.
      await env.query(
        url,
        "insert into strata_meta (key, value) values ('events_pruned_through/cluster/gone', '9')",
      );
      expect(await store.history.prune({ keepPerPack: 2 })).toBe(0);
      expect(await figures()).toEqual(['events_pruned_through/cluster/dev']);
    });

    it('pages a history from the newest back with before, and prunes past the retention', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      let status = packStatus('onboarding');
      const phases = ['processing', 'failed', 'processing', 'success', 'processing', 'success'] as const;
      for (const [i, phase] of phases.entries()) {
        status = advance(status, phase, `2026-01-0${i + 1}T00:00:00.000Z`);
        await store.packStatus.record({ cluster: 'prod', pack: 'p', status });
      }
      await store.packStatus.record({
        cluster: 'prod',
        pack: 'q',
        status: advance(packStatus('onboarding'), 'processing', '2026-01-09T00:00:00.000Z'),
      });
      const newest = await store.history.transitions('prod', 'p', { limit: 2 });
      expect(newest.map((t) => t.time.slice(0, 10))).toEqual(['2026-01-05', '2026-01-06']);
      const older = await store.history.transitions('prod', 'p', { limit: 2, before: newest[0]?.id });
      expect(older.map((t) => t.time.slice(0, 10))).toEqual(['2026-01-03', '2026-01-04']);
      const timeline = await store.history.clusterTransitions('prod', { limit: 3 });
      expect(timeline.map((t) => `${t.pack} ${t.time.slice(0, 10)}`)).toEqual([
        'p 2026-01-05',
        'p 2026-01-06',
        'q 2026-01-09',
      ]);
      expect(
        (await store.history.clusterTransitions('prod', { limit: 1, before: timeline[0]?.id })).map((t) =>
          t.time.slice(0, 10),
        ),
      ).toEqual(['2026-01-04']);

      // Keep 4 per pack and kind: p loses 2 transitions and 2 of its 6 status events; q keeps all it has.
      const idsNow = async () => (await store.eventsSince(0, { cluster: 'prod' })).map((e) => e.id);
      const before = await idsNow();
      expect(await store.history.prunedThrough()).toBe(0);
      expect(await store.history.prune({ keepPerPack: 4 })).toBe(4);
      // The highest id deleted is kept: a stream resuming below it is told that history is gone.
      const kept = new Set(await idsNow());
      expect(await store.history.prunedThrough()).toBe(Math.max(...before.filter((id) => !kept.has(id))));
      expect((await store.history.transitions('prod', 'p')).map((t) => t.time.slice(0, 10))).toEqual([
        '2026-01-03',
        '2026-01-04',
        '2026-01-05',
        '2026-01-06',
      ]);
      // By size (bytes of JSON, counted from the newest): a big allowance keeps them all.
      expect(await store.history.prune({ keepPerPack: 100, keepBytesPerPack: 1_000_000 })).toBe(0);
      // By age (the events' own write time is now, so everything is "old"): only the newest of each stays.
      const firstPass = await store.history.prunedThrough();
      expect(await store.history.prune({ keepPerPack: 100, olderThan: '2999-01-01T00:00:00.000Z' })).toBe(6);
      expect(await store.history.prunedThrough()).toBeGreaterThan(firstPass);
      // A pass that deletes nothing leaves it as it was.
      const secondPass = await store.history.prunedThrough();
      expect(await store.history.prune({ keepPerPack: 100 })).toBe(0);
      expect(await store.history.prunedThrough()).toBe(secondPass);
      expect((await store.history.transitions('prod', 'p')).map((t) => t.time.slice(0, 10))).toEqual([
        '2026-01-06',
      ]);
      expect((await store.history.transitions('prod', 'q')).length).toBe(1);
      // No allowance at all: each pack's newest of each kind stays all the same.
      expect(await store.history.prune({ keepPerPack: 100, keepBytesPerPack: 0 })).toBe(0);
      expect(await store.packStatus.get('prod', 'p')).toMatchObject({ phase: 'success' });
      const kinds = (await store.eventsSince(0, { cluster: 'prod' })).map(
        (e) => `${e.kind} ${'pack' in e ? e.pack : ''}`,
      );
      expect(kinds).toEqual([
        'cluster.registered ',
        'pack.transition p',
        'pack.status p',
        'pack.transition q',
        'pack.status q',
      ]);
    });

    // Security review 11, item 6: the allowance counted characters, so 3-byte characters kept 3 times as much.
    it('prunes by the bytes a status takes, not its characters', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      // 20,000 characters of 3 bytes each per status: the newest two are about 41,000 characters, 121,000 bytes.
      const message = '\u6f22'.repeat(20_000);
      for (const time of ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'])
        await store.packStatus.record({
          cluster: 'prod',
          pack: 'p',
          status: packStatus('processing', { message, time }),
        });
      // Over the allowance in bytes, within it in characters: the older status goes, the newest stays.
      expect(await store.history.prune({ keepPerPack: 100, keepBytesPerPack: 60_000 })).toBe(1);
      // (Read out as the hub keeps text: cut past KEPT_TEXT_MAX characters, shared/kept-text.ts.)
      expect(await store.packStatus.get('prod', 'p')).toMatchObject({ message: cutText(message) });
    });

    it('keeps each pack history one chain that ends in the phase of its row, whatever a writer sends', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      const chain = async () =>
        (await store.history.transitions('prod', 'p')).map((t) => `${t.from}→${t.to} ${t.reason}`);
      const s1 = advance(packStatus('onboarding'), 'processing', '2026-01-01T00:00:01.000Z');
      const s2 = advance(s1, 'success', '2026-01-01T00:00:02.000Z');
      await store.packStatus.record({ cluster: 'prod', pack: 'p', status: s2, transitions: s2.transitions });
      // Removed, then added again: the new life starts in onboarding where the old one ended in success.
      await store.packStatus.remove('prod', 'p');
      const again = packStatus('onboarding');
      await store.packStatus.record({ cluster: 'prod', pack: 'p', status: again, transitions: [] });
      const again1 = advance(again, 'processing', '2026-01-01T00:00:04.000Z');
      await store.packStatus.record({
        cluster: 'prod',
        pack: 'p',
        status: again1,
        transitions: again1.transitions,
      });
      // A writer resuming from a fresh start (the chain broken by a restart) and one that sends no
      // transition for a change of colour.
      const fresh = advance(packStatus('onboarding'), 'processing', '2026-01-01T00:00:05.000Z');
      await store.packStatus.record({
        cluster: 'prod',
        pack: 'p',
        status: fresh,
        transitions: fresh.transitions,
      });
      await store.packStatus.record({
        cluster: 'prod',
        pack: 'p',
        status: packStatus('failed'),
        transitions: [],
      });
      expect(await chain()).toEqual([
        'onboarding→processing Converging',
        'processing→success Ready',
        'success→onboarding AddedAgain',
        'onboarding→processing Converging',
        'processing→onboarding Resumed',
        'onboarding→processing Converging',
        'processing→failed ApplyFailed',
      ]);
      expect((await store.packStatus.get('prod', 'p'))?.phase).toBe('failed');
    });

    it('counts packs per phase per cluster and removes uninstalled packs but keeps their history', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'a', kubeconfig: 'k' });
      await store.clusters.create({ name: 'b', kubeconfig: 'k' });
      const phases: [string, string, PackPhase][] = [
        ['a', 'p1', 'success'],
        ['a', 'p2', 'success'],
        ['a', 'p3', 'failed'],
        ['b', 'p1', 'processing'],
      ];
      for (const [cluster, pack, phase] of phases) {
        await store.packStatus.record({ cluster, pack, status: packStatus(phase) });
      }
      const counts = await store.packStatus.phaseCounts();
      expect(Object.fromEntries(counts)).toEqual({
        a: { onboarding: 0, processing: 0, success: 2, failed: 1 },
        b: { onboarding: 0, processing: 1, success: 0, failed: 0 },
      });

      await store.packStatus.remove('a', 'p3');
      expect(await store.packStatus.get('a', 'p3')).toBeUndefined();
      await expectStoreError(store.packStatus.remove('a', 'p3'), StoreErrorCode.NotFound);
      const events = await store.eventsSince(0, { cluster: 'a' });
      expect(events.at(-1)).toMatchObject({ kind: 'pack.removed', pack: 'p3', cluster: 'a' });

      // Deleting the cluster drops its rows; its events stay readable, ending with its removal.
      await store.clusters.delete('a');
      expect(await store.packStatus.list('a')).toEqual([]);
      expect((await store.eventsSince(0, { cluster: 'a' })).at(-1)?.kind).toBe('cluster.removed');
    });

    it('gives events strictly increasing ids and resumes exactly after any id', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'a', kubeconfig: 'k' });
      await store.clusters.create({ name: 'b', kubeconfig: 'k' });
      let status = packStatus('onboarding');
      for (let i = 0; i < 30; i++) {
        status = advance(
          status,
          i % 2 === 0 ? 'processing' : 'success',
          new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        );
        await store.packStatus.record({ cluster: i % 3 === 0 ? 'b' : 'a', pack: `p${i % 4}`, status });
      }
      const all = await store.eventsSince(0);
      expectStrictlyIncreasing(ids(all));
      expect(await store.history.latestId()).toBe(all.at(-1)?.id);

      for (const cut of [0, 1, 7, all.length - 1, all.length]) {
        const after = cut === 0 ? 0 : (all[cut - 1]?.id as number);
        expect(ids(await store.eventsSince(after))).toEqual(ids(all.slice(cut)));
      }
      // Paging with a limit walks the same sequence.
      const paged: StoredEvent[] = [];
      for (let after = 0; ;) {
        const page = await store.eventsSince(after, { limit: 7 });
        if (page.length === 0) break;
        paged.push(...page);
        after = page.at(-1)?.id as number;
      }
      expect(ids(paged)).toEqual(ids(all));
      // Filtered by cluster: that cluster's events only, in the same order.
      const onlyB = await store.eventsSince(0, { cluster: 'b' });
      expect(ids(onlyB)).toEqual(ids(all.filter((e) => e.cluster === 'b')));
      expect(await store.eventsSince(all.at(-1)?.id as number)).toEqual([]);
    });

    it('tells listeners about committed events only, in order', async () => {
      const { store } = await env.open();
      const heard: StoredEvent[] = [];
      const stop = store.onEvents((events) => heard.push(...events));
      await store.clusters.create({ name: 'a', kubeconfig: 'k' });
      await store.packStatus.record({ cluster: 'a', pack: 'p', status: packStatus('processing') });
      await expectStoreError(
        store.transaction(async (tx) => {
          await tx.packStatus.record({ cluster: 'a', pack: 'q', status: packStatus('success') });
          await tx.clusters.create({ name: 'a', kubeconfig: 'k' });
        }),
        StoreErrorCode.ClusterExists,
      );
      stop();
      await store.packStatus.record({ cluster: 'a', pack: 'p', status: packStatus('success') });
      expect(ids(heard)).toEqual(ids(await store.eventsSince(0)).slice(0, heard.length));
      expect(heard.map((e) => e.kind)).toEqual(['cluster.registered', 'pack.status']);
    });
  });

  describe('transactions: nothing half-stored', () => {
    it('rolls back the events when the view row write violates a constraint', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'a', kubeconfig: 'k' });
      const good = await store.packStatus.record({
        cluster: 'a',
        pack: 'p',
        status: packStatus('processing'),
      });
      const before = await store.eventsSince(0);
      // The phase CHECK constraint fails on the row upsert, after the transition and status events were
      // inserted in the same transaction.
      const bad = {
        ...advance(packStatus('processing'), 'success', '2026-01-01T00:00:05.000Z'),
        phase: 'purple' as PackPhase,
      };
      await expectStoreError(
        store.packStatus.record({ cluster: 'a', pack: 'p', status: bad }),
        StoreErrorCode.Constraint,
      );
      expect(await store.eventsSince(0)).toEqual(before);
      expect(await store.packStatus.get('a', 'p')).toEqual(good.record);
      expect(await store.history.transitions('a', 'p')).toEqual([]);
      // And the store is still usable afterwards.
      await store.packStatus.record({ cluster: 'a', pack: 'p', status: packStatus('success') });
    });

    it('rolls back every repository write of a failed store.transaction', async () => {
      const { store } = await env.open();
      await store.tokens.create({ role: 'admin', name: 'taken' });
      const before = await store.eventsSince(0);
      // The token name collides in the database's unique index (no pre-check), after a cluster, a pack
      // status and an audit entry were written in the same transaction.
      await expectStoreError(
        store.transaction(async (tx) => {
          await tx.clusters.create({ name: 'half', kubeconfig: 'k' });
          await tx.packStatus.record({ cluster: 'half', pack: 'p', status: packStatus('processing') });
          await tx.audit.record({
            actor: { name: 'test' },
            action: 'cluster.register',
            target: 'cluster/half',
          });
          await tx.tokens.create({ role: 'viewer', name: 'taken' });
        }),
        StoreErrorCode.TokenExists,
      );
      expect(await store.clusters.get('half')).toBeUndefined();
      expect(await store.packStatus.list('half')).toEqual([]);
      expect(await store.audit.list()).toEqual([]);
      expect(await store.eventsSince(0)).toEqual(before);
      expect(await store.tokens.count()).toBe(1);
    });

    it('commits everything of a successful store.transaction and returns its value', async () => {
      const { store } = await env.open();
      const result = await store.transaction(async (tx) => {
        const cluster = await tx.clusters.create({ name: 'whole', kubeconfig: 'k' });
        await tx.audit.record({
          actor: { name: 'test' },
          action: 'cluster.register',
          target: 'cluster/whole',
        });
        return cluster.name;
      });
      expect(result).toBe('whole');
      expect(await store.clusters.get('whole')).toBeDefined();
      expect(await store.audit.list()).toHaveLength(1);
    });
  });
}
