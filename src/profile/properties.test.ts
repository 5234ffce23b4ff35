// Property-based tests: the parser never throws and always answers with a profile or positioned issues; the
// planner keeps its ordering promises for any valid set of packs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { LAYERS } from './schema.js';
import { parseProfiles } from './parse.js';
import { planCluster } from './plan.js';
import { parseOk, profileText } from './testing/profiles.js';

function expectWellFormed(text: string): void {
  const result = parseProfiles(text, { file: 'p.yaml' });
  if (result.ok) {
    expect(result.value.length).toBeGreaterThan(0);
    return;
  }
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(issue.file).toBe('p.yaml');
    expect(Number.isInteger(issue.line) && issue.line >= 1).toBe(true);
    expect(Number.isInteger(issue.column) && issue.column >= 1).toBe(true);
    expect(issue.message.length).toBeGreaterThan(0);
  }
}

const yamlish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(
      'strata.dev/v1alpha1',
      'ClusterProfile',
      'helm',
      'manifest',
      'addon',
      'cni',
      '1.0.0',
      '10m',
      '{{ .strata.var.x }}',
    ),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom(
        'apiVersion',
        'kind',
        'metadata',
        'spec',
        'name',
        'packs',
        'layer',
        'type',
        'version',
        'chart',
        'values',
        'pack',
        'dependsOn',
        'x',
      ),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

describe('parser properties', () => {
  it('never throws for any string, and answers with profiles or positioned issues', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        expectWellFormed(text);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for arbitrary YAML-ish documents, alone or inside a valid skeleton', () => {
    fc.assert(
      fc.property(yamlish, yamlish, (anything, pack) => {
        expectWellFormed(stringify(anything));
        const skeleton = {
          apiVersion: 'strata.dev/v1alpha1',
          kind: 'ClusterProfile',
          metadata: { name: 'p' },
          spec: { version: '1.0.0', type: 'full', packs: [pack] },
        };
        expectWellFormed(stringify(skeleton));
      }),
      { numRuns: 300 },
    );
  });
});

interface GenPack {
  name: string;
  layer: (typeof LAYERS)[number];
  priority: number;
  deps: string[];
}

/** Valid pack sets: dependencies only point to packs that install no later (earlier layer, or same layer and lower-or-equal priority, earlier in the list so there is no cycle). */
const packSets = fc
  .array(
    fc.record({
      layer: fc.constantFrom(...LAYERS),
      priority: fc.integer({ min: -2, max: 2 }),
      depPicks: fc.array(fc.nat(), { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((raw) => {
    const packs: GenPack[] = [];
    raw.forEach((r, i) => {
      const name = `p${i}`;
      const candidates = packs.filter(
        (p) =>
          LAYERS.indexOf(p.layer) < LAYERS.indexOf(r.layer) ||
          (p.layer === r.layer && p.priority <= r.priority),
      );
      const deps = [
        ...new Set(
          r.depPicks.flatMap((k) =>
            candidates.length === 0 ? [] : [candidates[k % candidates.length]?.name ?? ''],
          ),
        ),
      ];
      packs.push({ name, layer: r.layer, priority: r.priority, deps });
    });
    return packs;
  });

describe('planner properties', () => {
  it('places every pack once, dependencies in strictly earlier waves, and never goes back a layer', () => {
    fc.assert(
      fc.property(packSets, (packs) => {
        const yaml = packs
          .map((p) =>
            [
              `- name: ${p.name}`,
              `  layer: ${p.layer}`,
              '  version: 1.0.0',
              '  type: manifest',
              `  installPriority: ${p.priority}`,
              `  dependsOn: [${p.deps.join(', ')}]`,
              '  manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: x } }]',
            ].join('\n'),
          )
          .join('\n');
        const result = planCluster([parseOk(profileText({ type: 'full', packs: yaml }))]);
        if (!result.ok) throw new Error(result.issues.map((i) => i.message).join('\n'));
        const planned = result.value.waves.flatMap((w) => w.packs.map((p) => ({ ...p, waveIndex: w.index })));
        expect(planned.map((p) => p.pack.name).sort()).toEqual(packs.map((p) => p.name).sort());
        const waveOf = new Map(planned.map((p) => [p.pack.name, p.waveIndex]));
        for (const p of packs)
          for (const dep of p.deps)
            expect(waveOf.get(dep) ?? Infinity).toBeLessThan(waveOf.get(p.name) ?? -1);
        const layers = planned.map((p) => LAYERS.indexOf(p.pack.layer));
        expect(layers).toEqual([...layers].sort((a, b) => a - b));
        expect(result.value.removal.map((w) => w.index)).toEqual(
          result.value.waves.map((w) => w.index).reverse(),
        );
      }),
      { numRuns: 200 },
    );
  });
});
