// The pack detail reads a pack's history and runs a page at a time: the newest page first, then the older ones
// by the route's `next` cursor when the user asks ("Older transitions", "Show earlier runs", "Older runs").
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Api } from '../api/client';
import type { PackHistory, PackRun, PackRuns as PackRunsPage, PackTransition } from '../api/types';
import { SessionContext } from '../session-context';
import { PackRuns } from './RunsTable';
import { TransitionList } from './TransitionList';

afterEach(cleanup);

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

const transition = (s: number, message: string): PackTransition => ({
  time: at(s),
  from: 'processing',
  to: 'failed',
  condition: 'Error',
  reason: 'Step',
  message,
});

const run = (s: number, kind: PackRun['kind']): PackRun => ({
  kind,
  revision: `rev${String(s)}`,
  startTime: at(s),
  endTime: at(s + 1),
  outcome: 'failed',
});

/** An API that answers each path from `answers` and records what was asked. */
function renderWith(answers: Record<string, unknown>, ui: React.ReactNode) {
  const asked: string[] = [];
  const api = {
    get: (path: string) => {
      asked.push(path);
      return path in answers
        ? Promise.resolve(answers[path])
        : Promise.reject(new Error(`unexpected GET ${path}`));
    },
  } as unknown as Api;
  render(
    <SessionContext.Provider
      value={{ api, role: 'viewer', downgrade: () => undefined, logout: () => undefined }}
    >
      {ui}
    </SessionContext.Provider>,
  );
  return asked;
}

const messages = () => [...document.querySelectorAll('.transition-message')].map((e) => e.textContent);

describe('a pack’s transitions, a page at a time', () => {
  it('shows the newest page, then older pages by the cursor until there are none, newest first', async () => {
    const path = '/clusters/c/packs/web/history';
    const newest: PackHistory = { transitions: [transition(20, 'third'), transition(30, 'fourth')], next: 7 };
    const middle: PackHistory = { transitions: [transition(10, 'second')], next: 3 };
    const oldest: PackHistory = { transitions: [transition(0, 'first')] };
    const asked = renderWith(
      { [path]: newest, [`${path}?before=7`]: middle, [`${path}?before=3`]: oldest },
      <TransitionList cluster="c" pack="web" phase="failed" />,
    );
    await screen.findByText(/fourth/);
    expect(messages()).toEqual([expect.stringContaining('fourth'), expect.stringContaining('third')]);
    fireEvent.click(screen.getByRole('button', { name: 'Older transitions' }));
    await screen.findByText(/second/);
    fireEvent.click(screen.getByRole('button', { name: 'Older transitions' }));
    await screen.findByText(/first/);
    expect(messages().map((m) => /first|second|third|fourth/.exec(m)?.[0])).toEqual([
      'fourth',
      'third',
      'second',
      'first',
    ]);
    // The oldest page had no `next`: nothing older to offer.
    expect(screen.queryByRole('button', { name: 'Older transitions' })).toBeNull();
    expect(asked).toEqual([path, `${path}?before=7`, `${path}?before=3`]);
  });

  it('offers no older page when the newest has no cursor', async () => {
    renderWith(
      { '/clusters/c/packs/web/history': { transitions: [transition(0, 'only')] } },
      <TransitionList cluster="c" pack="web" phase="failed" />,
    );
    await screen.findByText(/only/);
    expect(screen.queryByRole('button', { name: 'Older transitions' })).toBeNull();
  });
});

describe('a pack’s runs, the current one from the page and the rest on demand', () => {
  const rows = () =>
    [...document.querySelectorAll('.runs-table tbody tr')].map((r) => r.getAttribute('data-run'));

  it('shows the current run without asking the hub, and every kept run, page by page, when asked', async () => {
    const path = '/clusters/c/packs/web/runs';
    const current = run(40, 'upgrade');
    const newest: PackRunsPage = { runs: [run(20, 'retry'), current], next: Date.parse(at(20)) };
    const older: PackRunsPage = { runs: [run(0, 'install')] };
    const asked = renderWith(
      { [path]: newest, [`${path}?before=${String(Date.parse(at(20)))}`]: older },
      <PackRuns cluster="c" pack="web" lastRun={current} runCount={3} phase="failed" />,
    );
    expect(rows()).toEqual(['upgrade']);
    expect(asked).toEqual([]);
    fireEvent.click(screen.getByRole('button', { name: 'Show earlier runs (2)' }));
    await screen.findByRole('row', { name: /Retry/ });
    expect(rows()).toEqual(['upgrade', 'retry']);
    fireEvent.click(screen.getByRole('button', { name: 'Older runs' }));
    await screen.findByRole('row', { name: /Install/ });
    expect(rows()).toEqual(['upgrade', 'retry', 'install']);
    expect(screen.queryByRole('button', { name: 'Older runs' })).toBeNull();
    expect(asked).toEqual([path, `${path}?before=${String(Date.parse(at(20)))}`]);
  });

  it('offers nothing more for a pack with one run', () => {
    renderWith(
      {},
      <PackRuns cluster="c" pack="web" lastRun={run(0, 'install')} runCount={1} phase="failed" />,
    );
    expect(rows()).toEqual(['install']);
    expect(screen.queryByRole('button')).toBeNull();
  });
});
