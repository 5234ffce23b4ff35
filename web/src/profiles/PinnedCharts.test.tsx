import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { PinnedCharts } from './PinnedCharts';

afterEach(cleanup);

describe('PinnedCharts', () => {
  it('lists each pinned remote chart with its digest', () => {
    const digest = 'ab'.repeat(32);
    render(<PinnedCharts charts={{ 'oci://registry.example.com/charts/web@1.2.3': digest }} />);
    const section = screen.getByRole('region', { name: 'Pinned charts' });
    expect(section.textContent).toContain('oci://registry.example.com/charts/web@1.2.3');
    expect(section.textContent).toContain(`sha256:${digest.slice(0, 12)}`);
    expect(section.querySelector(`[title="sha256:${digest}"]`)).not.toBeNull();
  });

  it('shows nothing for a version without remote charts', () => {
    const { container } = render(<PinnedCharts charts={undefined} />);
    expect(container.textContent).toBe('');
  });
});
