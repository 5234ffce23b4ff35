import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { phases } from '../api/display';
import { StatusBadge } from './StatusBadge';

afterEach(cleanup);

const expected = {
  onboarding: { icon: '○', label: 'Onboarding', color: 'gray' },
  processing: { icon: '◐', label: 'Processing', color: 'blue' },
  success: { icon: '✓', label: 'Success', color: 'green' },
  failed: { icon: '✗', label: 'Failed', color: 'red' },
} as const;

describe('StatusBadge', () => {
  it.each(phases)('renders %s with its icon, its label and an accessible name', (phase) => {
    render(<StatusBadge phase={phase} />);
    const badge = screen.getByRole('img', { name: expected[phase].label });
    expect(badge.textContent).toBe(`${expected[phase].icon}${expected[phase].label}`);
    expect(badge.className).toContain(`badge-${expected[phase].color}`);
    expect(badge.getAttribute('data-phase')).toBe(phase);
  });

  it('spins only while processing', () => {
    const { container } = render(
      <>
        {phases.map((p) => (
          <StatusBadge key={p} phase={p} />
        ))}
      </>,
    );
    const spinning = [...container.querySelectorAll('.spinner')].map((e) => e.closest('[data-phase]'));
    expect(spinning.map((e) => e?.getAttribute('data-phase'))).toEqual(['processing']);
  });

  it('says when a colour is only the last one known', () => {
    render(<StatusBadge phase="success" stale />);
    expect(screen.getByRole('img', { name: /Success \(last known; may be out of date\)/ })).toBeTruthy();
  });
});
