import { describe, expect, it } from 'vitest';
import { PackPhase } from '../status/index.js';
import { packGates, type GatedPack } from './gates.js';

const { Onboarding, Processing, Success, Failed } = PackPhase;

function pack(
  name: string,
  where: {
    profile: string;
    layer?: GatedPack['layer'];
    wave: number;
    phase: PackPhase;
    dependsOn?: string[];
  },
): GatedPack {
  return {
    name,
    profile: where.profile,
    layer: where.layer ?? 'addon',
    wave: where.wave,
    phase: where.phase,
    dependsOn: where.dependsOn ?? [],
  };
}

const infra = (name: string, wave: number, phase: PackPhase) =>
  pack(name, { profile: 'base', layer: 'cni', wave, phase });

describe('packGates', () => {
  it('lets one add-on profile install while another has a red pack', () => {
    const gates = packGates([
      infra('calico', 1, Success),
      pack('ingress', { profile: 'platform', wave: 2, phase: Failed }),
      pack('after-ingress', { profile: 'platform', wave: 3, phase: Onboarding }),
      pack('store', { profile: 'monitoring', wave: 2, phase: Success }),
      pack('dashboards', { profile: 'monitoring', wave: 3, phase: Onboarding }),
    ]);
    expect(gates.get('dashboards')).toEqual({ type: 'open' });
    expect(gates.get('after-ingress')).toEqual({ type: 'blocked', by: 'ingress' });
  });

  it('waits for its own profile only, naming the nearest wave not green yet', () => {
    const gates = packGates([
      infra('calico', 1, Success),
      pack('store', { profile: 'monitoring', wave: 2, phase: Processing }),
      pack('quotas', { profile: 'monitoring', wave: 2, phase: Success }),
      pack('dashboards', { profile: 'monitoring', wave: 3, phase: Onboarding }),
      pack('relay', { profile: 'monitoring', wave: 4, phase: Onboarding }),
      pack('slow', { profile: 'other', wave: 2, phase: Processing }),
    ]);
    expect(gates.get('dashboards')).toEqual({ type: 'waiting', wave: 2, packs: ['store'] });
    expect(gates.get('relay')).toEqual({ type: 'waiting', wave: 3, packs: ['dashboards'] });
  });

  it('passes a block on through packs in between, gray or green', () => {
    const gates = packGates([
      infra('calico', 1, Failed),
      infra('csi', 2, Success),
      pack('a', { profile: 'one', wave: 3, phase: Onboarding }),
      pack('b', { profile: 'one', wave: 4, phase: Onboarding }),
      pack('c', { profile: 'two', wave: 3, phase: Onboarding }),
    ]);
    // A red infra pack blocks every add-on profile, however far down.
    expect(gates.get('a')).toEqual({ type: 'blocked', by: 'calico' });
    expect(gates.get('b')).toEqual({ type: 'blocked', by: 'calico' });
    expect(gates.get('c')).toEqual({ type: 'blocked', by: 'calico' });
  });

  it('keeps waiting when an earlier pack is no longer green, though the one in between is', () => {
    const gates = packGates([
      pack('a', { profile: 'one', wave: 1, phase: Processing }),
      pack('b', { profile: 'one', wave: 2, phase: Success }),
      pack('c', { profile: 'one', wave: 3, phase: Onboarding }),
    ]);
    expect(gates.get('c')).toEqual({ type: 'waiting', wave: 1, packs: ['a'] });
  });

  it('links two add-on profiles only through dependsOn, and names each pack waited for once', () => {
    const gates = packGates([
      pack('crds', { profile: 'platform', wave: 1, phase: Processing }),
      pack('ingress', { profile: 'platform', wave: 2, phase: Onboarding }),
      pack('worker', { profile: 'apps', wave: 1, phase: Onboarding }),
      pack('web', { profile: 'apps', wave: 3, phase: Onboarding, dependsOn: ['ingress', 'worker'] }),
    ]);
    expect(gates.get('worker')).toEqual({ type: 'open' });
    expect(gates.get('ingress')).toEqual({ type: 'waiting', wave: 1, packs: ['crds'] });
    expect(gates.get('web')).toEqual({ type: 'waiting', wave: 2, packs: ['ingress'] });

    const red = packGates([
      pack('ingress', { profile: 'platform', wave: 1, phase: Failed }),
      pack('web', { profile: 'apps', wave: 2, phase: Onboarding, dependsOn: ['ingress'] }),
    ]);
    expect(red.get('web')).toEqual({ type: 'blocked', by: 'ingress' });
  });
});
