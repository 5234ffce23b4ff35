import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Api } from '../api/client';
import type { AttachmentView, OutdatedChart, ProfileVersion } from '../api/types';
import { SessionContext } from '../session-context';
import { ChartUpdates } from './ChartUpdates';
import { previousVersion } from './Rollback';

afterEach(cleanup);

const attachment: AttachmentView = { cluster: 'c', profile: 'mon', version: '1.2.0', values: {} };

function renderWith(answer: OutdatedChart[]) {
  const asked: string[] = [];
  const api = {
    get: (path: string) => {
      asked.push(path);
      return Promise.resolve(answer);
    },
  } as unknown as Api;
  render(
    <SessionContext.Provider
      value={{ api, role: 'viewer', downgrade: () => undefined, logout: () => undefined }}
    >
      <ChartUpdates attachment={attachment} />
    </SessionContext.Provider>,
  );
  return asked;
}

describe('ChartUpdates', () => {
  it('asks the sources only when told to, and names a newer chart and a source that could not be asked', async () => {
    const asked = renderWith([
      {
        pack: 'exporter',
        chart: 'oci://r.example.com/charts/exporter',
        version: '0.1.0',
        newer: ['0.2.0', '0.3.0'],
      },
      {
        pack: 'grafana',
        chart: 'https://charts.example.com grafana',
        version: '7.3.0',
        newer: [],
        error: '401 Unauthorized',
      },
    ]);
    expect(asked).toEqual([]);
    fireEvent.click(screen.getByRole('button', { name: 'Check chart versions' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      'exporter: chart 0.1.0 → 0.3.0 in the source',
    );
    expect(screen.getByRole('alert').textContent).toContain(
      'grafana: https://charts.example.com grafana could not be checked: 401 Unauthorized',
    );
    expect(asked).toEqual(['/profiles/mon/versions/1.2.0/outdated']);
  });

  it('says when every chart is up to date', async () => {
    renderWith([{ pack: 'web', chart: 'oci://r.example.com/web', version: '1.0.0', newer: [] }]);
    fireEvent.click(screen.getByRole('button', { name: 'Check chart versions' }));
    expect((await screen.findByRole('status')).textContent).toBe('Charts up to date');
  });
});

describe('previousVersion', () => {
  const v = (version: string, published = true) => ({ version, published }) as ProfileVersion;
  it('is the last published version before the current one, skipping drafts', () => {
    expect(previousVersion([v('1.0.0'), v('1.1.0'), v('1.2.0', false), v('2.0.0')], '2.0.0')).toBe('1.1.0');
    expect(previousVersion([v('1.0.0'), v('2.0.0')], '1.0.0')).toBeUndefined();
    expect(previousVersion([v('1.0.0')], '9.9.9')).toBeUndefined();
  });
});
