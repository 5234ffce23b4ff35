// Palette users put pack settings in a `pack:` block at the top of a pack's values:
//   pack: { namespace: monitoring, spectrocloud.com/install-priority: "10" }
// We read that block (so their values work unchanged) and strip it before the values reach Helm.
// Precedence: the pack's own `installPriority` / `namespace` fields win over the block.
import { describeValue } from './describe.js';
import { isRecord } from '../shared/guards.js';
import { suggest } from '../shared/did-you-mean.js';
import { IssueKind } from './errors.js';
import { DNS1123_LABEL_PATTERN, PALETTE_PRIORITY_KEY } from './schema.js';

const KNOWN_KEYS = ['namespace', PALETTE_PRIORITY_KEY];

export interface PaletteBlock {
  readonly namespace?: string;
  readonly installPriority?: number;
}

export interface PaletteProblem {
  readonly kind: typeof IssueKind.UnknownField | typeof IssueKind.InvalidValue;
  /** Relative to the values. */
  readonly path: readonly (string | number)[];
  readonly key: boolean;
  readonly message: string;
}

export interface PaletteSplit {
  readonly block: PaletteBlock;
  /** The values without the `pack:` key. */
  readonly values: Record<string, unknown>;
  readonly problems: readonly PaletteProblem[];
}

export function splitPaletteBlock(values: Record<string, unknown>): PaletteSplit {
  const { pack, ...rest } = values;
  // A `pack` key that is not a mapping is not Palette's block: leave it to the chart.
  if (!isRecord(pack)) return { block: {}, values, problems: [] };
  const problems: PaletteProblem[] = [];
  const block: { namespace?: string; installPriority?: number } = {};
  for (const [key, value] of Object.entries(pack)) {
    if (key === 'namespace') {
      if (typeof value === 'string' && new RegExp(DNS1123_LABEL_PATTERN).test(value) && value.length <= 63) {
        block.namespace = value;
      } else {
        problems.push({
          kind: IssueKind.InvalidValue,
          path: ['pack', key],
          key: false,
          message: `expected a DNS-1123 label; got ${describeValue(value)}`,
        });
      }
    } else if (key === PALETTE_PRIORITY_KEY) {
      // Palette writes it as a string ("10"); accept an integer too.
      const text = typeof value === 'number' ? String(value) : value;
      if (typeof text === 'string' && /^-?\d+$/.test(text.trim()) && Number.isSafeInteger(Number(text))) {
        block.installPriority = Number(text);
      } else {
        problems.push({
          kind: IssueKind.InvalidValue,
          path: ['pack', key],
          key: false,
          message: `expected an integer like "10"; got ${describeValue(value)}`,
        });
      }
    } else {
      const hint = suggest(key, KNOWN_KEYS);
      problems.push({
        kind: IssueKind.UnknownField,
        path: ['pack', key],
        key: true,
        message:
          hint === undefined
            ? `unknown field in the Palette pack block; expected one of ${KNOWN_KEYS.join(', ')}`
            : `unknown field in the Palette pack block; did you mean ${JSON.stringify(hint)}?`,
      });
    }
  }
  return { block, values: rest, problems };
}
