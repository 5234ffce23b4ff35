import { describe, expect, it } from 'vitest';
import { conditionPhase, PackConditionType, PackPhase, packPhaseDisplay } from './pack-phase.js';
import { resourceStateDisplay } from './resource-display.js';

describe('pack phase tables', () => {
  it('shows each phase in its colour of pack-status.md', () => {
    expect(packPhaseDisplay.onboarding.color).toBe('gray');
    expect(packPhaseDisplay.processing.color).toBe('blue');
    expect(packPhaseDisplay.success.color).toBe('green');
    expect(packPhaseDisplay.failed.color).toBe('red');
  });

  it('never relies on colour alone: every phase has its own icon and label', () => {
    const phases = Object.values(PackPhase);
    expect(new Set(phases.map((p) => packPhaseDisplay[p].icon)).size).toBe(phases.length);
    expect(new Set(phases.map((p) => packPhaseDisplay[p].label)).size).toBe(phases.length);
    // One code point each, so terminal columns line up.
    for (const p of phases) expect(Array.from(packPhaseDisplay[p].icon)).toHaveLength(1);
  });

  it('gives each resource state a distinct icon', () => {
    const icons = Object.values(resourceStateDisplay).map((d) => d.icon);
    expect(new Set(icons).size).toBe(icons.length);
  });

  it('maps the Palette condition types to phases as in the pack-status.md table', () => {
    const byPhase = (phase: PackPhase) =>
      Object.values(PackConditionType).filter((c) => conditionPhase[c] === phase);
    expect(byPhase('onboarding')).toEqual(['WaitingForOtherLayers', 'ReadyForInstall']);
    expect(byPhase('processing')).toEqual([
      'Installing',
      'Installed',
      'Upgrading',
      'Uninstalling',
      'Retrying',
    ]);
    expect(byPhase('success')).toEqual(['Ready']);
    expect(byPhase('failed')).toEqual(['Error']);
  });
});
