// Generated bad profiles for bench/bad-profiles.bench.ts: the kinds of input issue 12 found to crash or bloat
// the hub. Each is a whole profile file (YAML text) that the hub must refuse without keeping memory.

export const BadKind = {
  InvalidYaml: 'invalid YAML',
  AliasBomb: 'alias bomb',
  SelfAlias: 'self-referencing alias',
  DeepNesting: 'deep nesting',
  HugeString: 'huge string',
  UnknownFields: 'unknown fields',
  Redos: 'ReDoS regex',
  UnclosedMacro: 'unclosed macro',
} as const;
export type BadKind = (typeof BadKind)[keyof typeof BadKind];

export interface BadProfile {
  readonly kind: BadKind;
  readonly yaml: string;
}

/** Options sized so one request stays under the hub's 2 MiB body limit. */
export interface BadProfileOptions {
  /** Nesting depth of the deep-nesting profiles. */
  readonly depth: number;
  /** Length of the huge strings, in characters. */
  readonly hugeChars: number;
  /** Length of the input the ReDoS regex backtracks over: each extra character doubles the work. */
  readonly redosChars: number;
}

function profile(i: number, spec: string): string {
  return [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    `metadata: { name: bad-${String(i)} }`,
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    spec,
  ].join('\n');
}

const pack = (i: number, values: string) =>
  [
    '  packs:',
    `    - name: p${String(i)}`,
    '      layer: addon',
    '      version: 1.0.0',
    '      type: manifest',
    '      namespace: bad',
    '      manifests:',
    `        - { apiVersion: v1, kind: ConfigMap, metadata: { name: c${String(i)} } }`,
    `      values: ${values}`,
  ].join('\n');

const generators: Record<BadKind, (i: number, options: BadProfileOptions) => string> = {
  [BadKind.InvalidYaml]: (i) => profile(i, `  packs: [ { name: p${String(i)}, layer: addon\n\t- : : ]]`),
  [BadKind.AliasBomb]: (i) => {
    // Billion laughs: nine levels of nine aliases each, 9^9 nodes when expanded.
    const lines = [`a0: &a0 ["lol${String(i)}"]`];
    for (let level = 1; level <= 9; level++) {
      const prev = `*a${String(level - 1)}`;
      lines.push(`a${String(level)}: &a${String(level)} [${Array(9).fill(prev).join(', ')}]`);
    }
    return `${lines.join('\n')}\n${profile(i, pack(i, '*a9'))}`;
  },
  [BadKind.SelfAlias]: (i) => profile(i, pack(i, `&d { a: b${String(i)}, c: *d }`)),
  [BadKind.DeepNesting]: (i, { depth }) =>
    profile(i, pack(i, `${'['.repeat(depth)}${String(i)}${']'.repeat(depth)}`)),
  [BadKind.HugeString]: (i, { hugeChars }) =>
    profile(i, `  description: "${String(i)}${'x'.repeat(hugeChars)}"\n${pack(i, '{}')}`),
  [BadKind.UnknownFields]: (i) =>
    profile(
      i,
      `  surprise${String(i)}: true\n  packs:\n    - name: p\n      colour: green\n      layer: addon`,
    ),
  [BadKind.Redos]: (i, { redosChars }) =>
    profile(
      i,
      [
        '  variables:',
        `    - name: v${String(i)}`,
        "      regex: '(a+)+'",
        `      default: '${'a'.repeat(redosChars)}!'`,
        pack(i, '{}'),
      ].join('\n'),
    ),
  [BadKind.UnclosedMacro]: (i) => profile(i, pack(i, `{ x: '{{ .strata.var.x${String(i)}' }`)),
};

const kinds = Object.values(BadKind);

/** `count` bad profiles, the kinds taking turns, each with its own names so nothing is deduplicated. */
export function badProfiles(count: number, options: BadProfileOptions): BadProfile[] {
  return Array.from({ length: count }, (_, i) => {
    const kind = kinds[i % kinds.length] ?? BadKind.InvalidYaml;
    return { kind, yaml: generators[kind](i, options) };
  });
}
