import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { YamlView } from './YamlView';

afterEach(cleanup);

const yaml = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata:',
  '  nme: x',
  'spec: {}',
  '',
].join('\n');

describe('YamlView', () => {
  it('shows every line with its number and each issue right under the line it is about', () => {
    const { container } = render(
      <YamlView
        yaml={yaml}
        issues={[
          {
            file: 'p.yaml',
            line: 4,
            column: 3,
            path: 'metadata',
            message: 'unknown key "nme" (did you mean "name"?)',
            formatted: '',
          },
          { file: 'p.yaml', line: 99, column: 0, path: '', message: 'spec.packs: required', formatted: '' },
        ]}
      />,
    );
    const lines = container.querySelectorAll('li.yaml-line');
    expect(lines).toHaveLength(5);
    const line4 = container.querySelector('li[data-line="4"]');
    expect(line4?.classList.contains('has-issue')).toBe(true);
    expect(line4?.querySelector('.yaml-text')?.textContent).toBe('  nme: x');
    expect(line4?.querySelector('.yaml-issue')?.textContent).toContain(
      'unknown key "nme" (did you mean "name"?)',
    );
    expect(line4?.querySelector('.yaml-issue')?.textContent).toContain('line 4:3 metadata');
    expect(container.querySelectorAll('.has-issue')).toHaveLength(1);
    // An issue whose line is not in the text is shown above it, not lost.
    expect(container.querySelector('.yaml > .yaml-issue')?.textContent).toContain('spec.packs: required');
  });

  it('is a named region in the tab order, so a keyboard can scroll a long file', () => {
    const { getByRole } = render(<YamlView yaml={yaml} label="p.yaml (YAML)" />);
    const region = getByRole('region', { name: 'p.yaml (YAML)' });
    expect(region.classList.contains('yaml')).toBe(true);
    expect(region.tabIndex).toBe(0);
  });
});
