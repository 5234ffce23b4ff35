import { describe, expect, it } from 'vitest';
import { PackPhase } from '../status/index.js';
import { nextSteps, packGates, type GatedPack, type PackSnapshot, type Step } from './scheduler.js';

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

/** A pack as the runner would snapshot it; `at` is its install order, and also its wave unless given. */
function snap(name: string, at: number, over: Partial<Omit<PackSnapshot, 'name'>> = {}): PackSnapshot {
  return {
    name,
    order: at,
    profile: 'apps',
    layer: 'addon',
    wave: at,
    dependsOn: [],
    phase: Onboarding,
    removing: false,
    started: false,
    busy: false,
    uninstalling: false,
    ...over,
  };
}

const started = { started: true } as const;
const green = { phase: Success, started: true } as const;
const red = { phase: Failed, started: true } as const;
const gone = { removing: true } as const;

describe('nextSteps', () => {
  const table: { case: string; packs: PackSnapshot[]; steps: Step[] }[] = [
    {
      case: 'nothing to run, nothing to do',
      packs: [],
      steps: [],
    },
    {
      case: 'the first wave starts, the next waits for it',
      packs: [snap('a', 1), snap('b', 1, { order: 2 }), snap('c', 3)],
      steps: [
        { type: 'start', pack: 'a' },
        { type: 'start', pack: 'b' },
        { type: 'wait', pack: 'c', for: ['a', 'b'] },
      ],
    },
    {
      case: 'the next wave waits until every pack of the wave before is green',
      packs: [snap('a', 1, green), snap('b', 1, { order: 2, ...started, phase: Processing }), snap('c', 3)],
      steps: [{ type: 'wait', pack: 'c', for: ['b'] }],
    },
    {
      case: 'the next wave starts once the wave before is green',
      packs: [snap('a', 1, green), snap('b', 2, green), snap('c', 3)],
      steps: [{ type: 'start', pack: 'c' }],
    },
    {
      case: 'layer order is cluster-wide: os → cni → csi, then every add-on profile',
      packs: [
        snap('os', 1, { layer: 'os', profile: 'base', ...started, phase: Processing }),
        snap('cni', 2, { layer: 'cni', profile: 'base' }),
        snap('csi', 3, { layer: 'csi', profile: 'storage' }),
        snap('web', 4, { profile: 'apps' }),
        snap('metrics', 4, { order: 5, profile: 'monitoring' }),
      ],
      steps: [
        { type: 'wait', pack: 'cni', for: ['os'] },
        { type: 'wait', pack: 'csi', for: ['cni'] },
        // The nearest pack not green yet, not the first: csi waits for cni, which waits for os.
        { type: 'wait', pack: 'web', for: ['csi'] },
        { type: 'wait', pack: 'metrics', for: ['csi'] },
      ],
    },
    {
      case: 'a red pack blocks what comes after it, however far down, naming itself',
      packs: [snap('a', 1, red), snap('b', 2), snap('c', 3)],
      steps: [
        { type: 'block', pack: 'b', by: 'a' },
        { type: 'block', pack: 'c', by: 'a' },
      ],
    },
    {
      case: 'a red infra pack blocks every add-on profile',
      packs: [
        snap('cni', 1, { layer: 'cni', profile: 'base', ...red }),
        snap('web', 2),
        snap('m', 2, { order: 3, profile: 'monitoring' }),
      ],
      steps: [
        { type: 'block', pack: 'web', by: 'cni' },
        { type: 'block', pack: 'm', by: 'cni' },
      ],
    },
    {
      case: 'add-on profiles are independent: a red pack of one does not hold another back',
      packs: [
        snap('ingress', 1, { profile: 'platform', ...red }),
        snap('gateway', 2, { profile: 'platform' }),
        snap('store', 1, { order: 3, profile: 'monitoring', ...green }),
        snap('dashboards', 2, { order: 4, profile: 'monitoring' }),
      ],
      steps: [
        { type: 'block', pack: 'gateway', by: 'ingress' },
        { type: 'start', pack: 'dashboards' },
      ],
    },
    {
      case: 'an explicit dependsOn links two add-on profiles',
      packs: [
        snap('ingress', 1, { profile: 'platform', ...started, phase: Processing }),
        snap('web', 1, { order: 2, profile: 'apps', dependsOn: ['ingress'] }),
        snap('worker', 1, { order: 3, profile: 'apps' }),
      ],
      steps: [
        { type: 'wait', pack: 'web', for: ['ingress'] },
        { type: 'start', pack: 'worker' },
      ],
    },
    {
      case: 'a dependsOn on a red pack of another profile blocks',
      packs: [
        snap('ingress', 1, { profile: 'platform', ...red }),
        snap('web', 1, { order: 2, profile: 'apps', dependsOn: ['ingress'] }),
      ],
      steps: [{ type: 'block', pack: 'web', by: 'ingress' }],
    },
    {
      case: 'a pack whose definition started already is left alone, whatever its gate',
      packs: [snap('a', 1, red), snap('b', 2, { ...started, phase: Processing })],
      steps: [],
    },
    {
      case: 'a busy pack that may not start yet shows no gray stage (its task still runs)',
      packs: [snap('a', 1, { ...started, phase: Processing }), snap('b', 2, { busy: true })],
      steps: [],
    },
    {
      case: 'a busy pack whose gate is open starts (its new definition supersedes the task)',
      packs: [snap('a', 1, green), snap('b', 2, { busy: true, phase: Processing })],
      steps: [{ type: 'start', pack: 'b' }],
    },
    {
      case: 'removal runs in reverse install order: only the last wave goes first',
      packs: [
        snap('a', 1, { ...green, ...gone }),
        snap('b', 2, { ...green, ...gone }),
        snap('c', 3, { ...green, ...gone }),
      ],
      steps: [{ type: 'uninstall', pack: 'c' }],
    },
    {
      case: 'the removal of a wave waits while a later one is still being removed',
      packs: [snap('a', 1, { ...green, ...gone }), snap('b', 2, { ...gone, uninstalling: true })],
      steps: [],
    },
    {
      case: 'packs of one wave are removed together, and an uninstall under way is not started again',
      packs: [
        snap('a', 1, { ...green, ...gone }),
        snap('b', 2, { ...green, ...gone }),
        snap('c', 2, { order: 3, ...green, ...gone, uninstalling: true }),
      ],
      steps: [{ type: 'uninstall', pack: 'b' }],
    },
    {
      case: 'removals of two add-on profiles do not wait for each other',
      packs: [
        snap('a1', 1, { profile: 'one', ...gone }),
        snap('a2', 2, { profile: 'one', ...gone }),
        snap('b1', 1, { order: 3, profile: 'two', ...gone }),
      ],
      steps: [
        { type: 'uninstall', pack: 'b1' },
        { type: 'uninstall', pack: 'a2' },
      ],
    },
    {
      case: 'a removed pack that another removed pack dependsOn waits for it to go',
      packs: [
        snap('ingress', 1, { profile: 'platform', ...gone }),
        snap('web', 1, { order: 2, profile: 'apps', dependsOn: ['ingress'], ...gone }),
      ],
      steps: [{ type: 'uninstall', pack: 'web' }],
    },
    {
      case: 'installs and removals proceed side by side; an active pack never waits for a removed one',
      packs: [snap('old', 1, { ...green, ...gone }), snap('new', 2)],
      steps: [
        { type: 'start', pack: 'new' },
        { type: 'uninstall', pack: 'old' },
      ],
    },
    {
      case: 'a red removed pack is still removed, and blocks nothing',
      packs: [snap('broken', 1, { ...red, ...gone }), snap('next', 2)],
      steps: [
        { type: 'start', pack: 'next' },
        { type: 'uninstall', pack: 'broken' },
      ],
    },
  ];

  it.each(table)('$case', ({ packs, steps }) => {
    expect(nextSteps(packs)).toEqual(steps);
  });

  it('does not depend on the order the snapshots come in', () => {
    const packs = [
      snap('a', 1, green),
      snap('b', 2),
      snap('c', 3),
      snap('x', 1, { order: 4, profile: 'other', ...gone }),
    ];
    expect(nextSteps([...packs].reverse())).toEqual(nextSteps(packs));
  });
});
