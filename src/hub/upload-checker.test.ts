// The upload checker's queue is bounded: each waiting upload holds its body (up to 21 MiB), and any viewer
// can send one to /profiles/validate.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { busyError } from './errors.js';
import { HUB_OWNER } from './fair-waiting.js';
import {
  UploadCheckAborted,
  UploadChecker,
  UploadCheckerBusy,
  UploadLane,
  UploadTooCostly,
} from './upload-checker.js';

const checker = new UploadChecker({ concurrency: 1, maxWaiting: 1, idleMs: 100 });

afterAll(() => checker.close());

const profile = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: p }',
  'spec:',
  '  version: 1.0.0',
  '  packs:',
  '    - { name: a, layer: addon, version: 1.0.0, type: manifests, manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: c } }] }',
  '',
].join('\n');

describe('UploadChecker', () => {
  it('refuses an upload at once when every thread is busy and the queue is full, and checks the others', async () => {
    const input = { shown: 'p.yaml', deny: [], yaml: profile };
    const first = checker.check(input);
    const second = checker.check(input);
    const third = checker.check(input).then(
      () => 'checked',
      (error: unknown) => error,
    );
    expect(await third).toBeInstanceOf(UploadCheckerBusy);
    expect(String(await third)).toContain('1 jobs are running and 1 wait');
    expect(await first).toHaveProperty('kind');
    expect(await second).toHaveProperty('kind');
    // Once the queue drains, uploads are taken again.
    expect(await checker.check(input)).toHaveProperty('kind');
  });

  it('ends the thread that checked a large upload at once, so its heap is not kept while idle', async () => {
    const small = new UploadChecker({ largeBytes: 64 * 1024 });
    try {
      await small.check({ shown: 'p.yaml', deny: [], yaml: profile });
      expect(small.idleThreads).toBe(1);
      const large = `${profile}${'# padding\n'.repeat(8 * 1024)}`;
      await small.check({ shown: 'p.yaml', deny: [], yaml: large });
      expect(small.idleThreads).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe('the memory of a large upload', () => {
  it('is given back when its thread ends, not kept by V8 for another 8 s', async () => {
    // In a process of its own with --expose-gc, as bin/strata runs the hub (testing/large-upload-rss.ts).
    const script = fileURLToPath(new URL('./testing/large-upload-rss.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', script],
      { timeout: 60_000 },
    );
    const rss = JSON.parse(stdout) as { kind: string; before: number; peak: number; after: number };
    expect(rss.kind).toBe('ok');
    const grown = rss.peak - rss.before;
    // The check's parse grows the process by tens of MiB (the measure can tell)…
    expect(grown).toBeGreaterThan(20 * 2 ** 20);
    // …and once the thread has ended, that is gone. Ended without giving it back, ~80 % of it stayed.
    expect(rss.after - rss.before).toBeLessThan(grown / 3);
  }, 90_000);
});

describe('validations and imports', () => {
  it('keeps a thread and half the queue for imports: a burst of validations never delays an import', async () => {
    const pool = new UploadChecker({ concurrency: 2, maxWaiting: 4, idleMs: 100 });
    try {
      // Big enough to take a while to parse (20k keys); the import is the small profile.
      const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: v`).join('\n');
      const slow = { shown: 'big.yaml', deny: [], yaml: `${profile}extra:\n${keys}\n` };
      const settled: string[] = [];
      const validate = (name: string) =>
        pool.check(slow, UploadLane.Validate).then(
          (result) => {
            settled.push(name);
            return result;
          },
          (error: unknown) => {
            settled.push(name);
            return error;
          },
        );
      const running = validate('v1');
      const waiting = [validate('v2'), validate('v3')];
      const refused = await validate('v4');
      expect(refused).toBeInstanceOf(UploadCheckerBusy);
      expect(String(refused)).toContain(
        "1 validations are being checked and 2 wait, 2 of them this token's: the most validations may hold is " +
          'half the queue (imports keep a thread and half the queue), shared between the tokens that wait',
      );
      // The import takes the thread validations leave free: checked before the validations queued earlier.
      expect(await pool.check({ shown: 'p.yaml', deny: [], yaml: profile })).toHaveProperty('kind');
      expect(settled).not.toContain('v3');
      for (const result of await Promise.all([running, ...waiting])) expect(result).toHaveProperty('kind');
    } finally {
      await pool.close();
    }
  }, 30_000);
});

describe('waiting places shared between tokens', () => {
  it('answers HUB_BUSY when the tokens that wait hold as many places each, TOO_MANY_REQUESTS to one holding more', async () => {
    const pool = new UploadChecker({ concurrency: 1, maxWaiting: 2, idleMs: 100 });
    try {
      const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: v`).join('\n');
      const slow = { shown: 'big.yaml', deny: [], yaml: `${profile}extra:\n${keys}\n` };
      const a = { key: 'viewer-a', privileged: false };
      const b = { key: 'viewer-b', privileged: false };
      const settle = (p: Promise<unknown>) =>
        p.then(
          () => 'checked',
          (error: unknown) => error,
        );
      // A runs one and waits with one, B waits with one: the queue is full, A and B hold 1 place each.
      const jobs = [
        settle(pool.check(slow, UploadLane.Import, a)),
        settle(pool.check(slow, UploadLane.Import, a)),
      ];
      jobs.push(settle(pool.check(slow, UploadLane.Import, b)));
      const tied = await settle(pool.check(slow, UploadLane.Import, b));
      expect(tied).toBeInstanceOf(UploadCheckerBusy);
      expect(busyError(tied as UploadCheckerBusy)).toMatchObject({ code: 'HUB_BUSY', retryAfterSeconds: 2 });
      for (const result of await Promise.all(jobs)) expect(result).toBe('checked');
    } finally {
      await pool.close();
    }
  }, 30_000);

  it("takes another token's job while one token fills the queue, in place of that token's newest", async () => {
    const pool = new UploadChecker({ concurrency: 1, maxWaiting: 2, idleMs: 100 });
    try {
      const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: v`).join('\n');
      const slow = { shown: 'big.yaml', deny: [], yaml: `${profile}extra:\n${keys}\n` };
      const settle = (p: Promise<unknown>) =>
        p.then(
          () => 'checked',
          (error: unknown) => error,
        );
      const viewer = { key: 'viewer-token', privileged: false };
      const mine = [0, 1, 2].map(() => settle(pool.check(slow, UploadLane.Import, viewer)));
      // A first-come queue refused this one: the viewer's 2 jobs held both places.
      const other = settle(pool.check(slow, UploadLane.Import, { key: 'operator-token', privileged: true }));
      const [running, waiting, newest] = await Promise.all(mine);
      expect([running, waiting]).toEqual(['checked', 'checked']);
      expect(newest).toBeInstanceOf(UploadCheckerBusy);
      expect(String(newest)).toContain('this job gave its waiting place to another token');
      // Its token held the most places: it is the one over its share (429), not the hub full (503).
      expect(busyError(newest as UploadCheckerBusy)).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        retryAfterSeconds: 2,
      });
      expect(await other).toBe('checked');
    } finally {
      await pool.close();
    }
  }, 30_000);
});

describe('health-rule tests in the pool', () => {
  // CEL the cost count misjudges: re-wrapping a 20k-key map per iteration runs each expression to its limit.
  const costly = 'self.spec.m.all(k, self.spec.m.exists(j, j == k))';
  const rules = [
    'apiVersion: strata.dev/v1alpha1',
    'kind: HealthRules',
    'spec:',
    '  healthChecks:',
    '    - apiVersion: example.com/v1',
    '      kind: Widget',
    `      current: "${costly}"`,
    '',
  ].join('\n');
  const widget = (m: Record<string, number>) => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: { m },
    status: {},
  });
  const ref = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w' };

  it('ends a test at its deadline, thread and all, and runs the next one on a fresh thread', async () => {
    const big = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
    const ended = await checker
      .testHealthRules({ rules, cluster: [], ref, object: widget(big) }, 100)
      .catch((error: unknown) => error);
    expect(ended).toBeInstanceOf(UploadTooCostly);
    expect(String(ended)).toContain('took longer than 0.1 s');

    const next = await checker.testHealthRules({ rules, cluster: [], ref, object: widget({ a: 1 }) }, 30_000);
    expect(next).toMatchObject({
      kind: 'verdict',
      verdict: { state: 'Ready', rule: { origin: 'pack', kind: 'Widget' } },
    });
  }, 30_000);
});

describe('validations whose request is closed (review 11, item 4)', () => {
  it("drops an aborted token's running and waiting checks, so another token's validation is served", async () => {
    // Two threads: validations run on one at a time, and hold at most 1 of the 2 waiting places.
    const pool = new UploadChecker({ concurrency: 2, maxWaiting: 2, idleMs: 100 });
    try {
      const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: v`).join('\n');
      const slow = { shown: 'big.yaml', deny: [], yaml: `${profile}extra:\n${keys}\n` };
      const settle = (p: Promise<unknown>) =>
        p.then(
          () => 'checked',
          (error: unknown) => error,
        );
      const attacker = { key: 'attacker-token', privileged: false };
      const victim = { key: 'victim-token', privileged: false };
      const attack = () => {
        const closed = new AbortController();
        return { closed, settled: settle(pool.check(slow, UploadLane.Validate, attacker, closed.signal)) };
      };
      // The attacker's first check runs, its second waits in the validations' only place.
      const running = attack();
      const waiting = attack();
      // The victim holds no place: it takes the attacker's (before, the lane's cap refused it with 503 first).
      const served = settle(
        pool.check({ shown: 'p.yaml', deny: [], yaml: profile }, UploadLane.Validate, victim),
      );
      expect(await waiting.settled).toBeInstanceOf(UploadCheckerBusy);
      // The attacker's requests are closed: its running check's thread ends, so the victim's starts.
      running.closed.abort();
      expect(await running.settled).toBeInstanceOf(UploadCheckAborted);
      // …and the attacker goes on sending and closing, one request at a time, while the victim is served.
      const looped: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        const next = attack();
        next.closed.abort();
        looped.push(await next.settled);
      }
      expect(await served).toBe('checked');
      for (const result of looped) expect(result).toBeInstanceOf(UploadCheckAborted);
      // Nothing of the attacker's is left to run: a fresh validation is checked at once.
      expect(
        await pool.check({ shown: 'p.yaml', deny: [], yaml: profile }, UploadLane.Validate, victim),
      ).toHaveProperty('kind');
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('takes a waiting check out of the queue when its request is closed', async () => {
    const pool = new UploadChecker({ concurrency: 1, maxWaiting: 1, idleMs: 100 });
    try {
      const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: v`).join('\n');
      const slow = { shown: 'big.yaml', deny: [], yaml: `${profile}extra:\n${keys}\n` };
      const running = pool.check(slow);
      const closed = new AbortController();
      const waiting = pool
        .check(slow, UploadLane.Import, HUB_OWNER, closed.signal)
        .catch((error: unknown) => error);
      closed.abort();
      expect(await waiting).toBeInstanceOf(UploadCheckAborted);
      // Its place is free again: before, the aborted job kept it and this one was refused as busy.
      const next = pool.check({ shown: 'p.yaml', deny: [], yaml: profile });
      expect(await next).toHaveProperty('kind');
      expect(await running).toHaveProperty('kind');
    } finally {
      await pool.close();
    }
  }, 30_000);
});
