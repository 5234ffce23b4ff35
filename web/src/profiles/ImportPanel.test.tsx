import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FILE_NAME } from '../../../src/shared/file-name';
import { MAX_PROFILE_BYTES } from '../../../src/shared/profile-size';
import type { Api } from '../api/client';
import { SessionContext } from '../session-context';
import { ImportPanel } from './ImportPanel';

afterEach(cleanup);

function renderPanel() {
  render(
    <SessionContext.Provider
      value={{
        api: {} as unknown as Api,
        role: 'operator',
        downgrade: () => undefined,
        logout: () => undefined,
      }}
    >
      <ImportPanel onImported={() => undefined} />
    </SessionContext.Provider>,
  );
}

describe('ImportPanel', () => {
  it('takes no longer file name or profile text than the hub does', () => {
    renderPanel();
    const name = screen.getByLabelText(/^File name/);
    expect(name.getAttribute('maxlength')).toBe(String(MAX_FILE_NAME));
    expect(screen.getByLabelText(/^YAML/).getAttribute('maxlength')).toBe(String(MAX_PROFILE_BYTES));
  });

  it("keeps the end of a chosen file's name that is longer than the hub takes", async () => {
    renderPanel();
    const long = `${'a'.repeat(300)}-shop.yaml`;
    const chosen = new File(['kind: ClusterProfile\n'], long, { type: 'application/yaml' });
    fireEvent.change(screen.getByLabelText(/^Profile file or bundle/), { target: { files: [chosen] } });
    const name = screen.getByLabelText<HTMLInputElement>(/^File name/);
    expect(name.value).toBe(`…${long.slice(-(MAX_FILE_NAME - 1))}`);
    // The text is read from the file after the change event.
    expect((await screen.findByDisplayValue('kind: ClusterProfile')).tagName).toBe('TEXTAREA');
  });
});
