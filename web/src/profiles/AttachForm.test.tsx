import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Api } from '../api/client';
import { SessionContext } from '../session-context';
import { AttachForm } from './AttachForm';

afterEach(cleanup);

const YAML =
  'apiVersion: strata.dev/v1alpha1\nkind: ClusterProfile\nmetadata: { name: shop }\nspec: { version: 1.1.0, type: add-on, packs: [] }\n';

function renderWith(attached: string[], yaml = YAML) {
  const clusters = ['local', 'second'].map((name) => ({ name }));
  const api = { get: () => Promise.resolve(clusters) } as unknown as Api;
  render(
    <SessionContext.Provider
      value={{ api, role: 'operator', downgrade: () => undefined, logout: () => undefined }}
    >
      <AttachForm profile="shop" version="1.1.0" yaml={yaml} attached={attached} />
    </SessionContext.Provider>,
  );
}

const options = () => screen.queryAllByRole('option').map((o) => o.textContent);

describe('AttachForm', () => {
  it('offers only the clusters the profile is not attached to, and links the others', async () => {
    renderWith(['local']);
    await screen.findByRole('option', { name: 'second' });
    expect(options()).toEqual(['second']);
    expect(screen.getByRole<HTMLSelectElement>('combobox').value).toBe('second');
    expect(screen.getByRole('link', { name: 'local' }).getAttribute('href')).toBe('#/clusters/local');
    expect(screen.getByText(/Already attached to/).textContent).toBe(
      'Already attached to local: change its version there.',
    );
    expect(screen.getByRole('button', { name: 'Attach v1.1.0' })).toHaveProperty('disabled', false);
  });

  it('offers nothing to attach to when every cluster has the profile (the hub would refuse a second)', async () => {
    renderWith(['local', 'second']);
    await screen.findByText(/Already attached to/);
    expect(options()).toEqual([]);
    expect(screen.getByRole('button', { name: 'Attach v1.1.0' })).toHaveProperty('disabled', true);
  });

  it("shows a plain variable's default, and only that a sensitive one has one (a legacy default arrives masked)", async () => {
    const withVariables =
      'apiVersion: strata.dev/v1alpha1\nkind: ClusterProfile\nmetadata: { name: shop }\nspec:\n  version: 1.1.0\n' +
      '  type: add-on\n  variables:\n    - { name: region, default: eu }\n' +
      '    - { name: password, sensitive: true, default: "******" }\n  packs: []\n';
    renderWith([], withVariables);
    const region = await screen.findByLabelText(/^region/);
    expect(region.getAttribute('placeholder')).toBe('default: eu');
    const password = screen.getByLabelText(/^password/);
    expect(password.getAttribute('placeholder')).toBe('default set (hidden)');
    expect(password.getAttribute('type')).toBe('password');
  });

  it('offers every cluster while the profile is attached nowhere', async () => {
    renderWith([]);
    await screen.findByRole('option', { name: 'local' });
    expect(options()).toEqual(['local', 'second']);
    expect(screen.queryByText(/Already attached to/)).toBeNull();
  });
});
