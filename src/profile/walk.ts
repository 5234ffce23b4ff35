// Bounded walks over plain data parsed from client text. YAML aliases can make a value contain itself
// (`data: &d {a: b, c: *d}`) and nesting can be arbitrarily deep; a naive recursive walker overflows the stack
// on either. Every walker here stops at a cycle or below MAX_DEPTH and says where.
import type { FieldPath } from './model.js';

/** Deeper than this is refused at parse time and never walked: no profile or Kubernetes object needs it. */
export const MAX_DEPTH = 100;

export const WalkLimit = { Cycle: 'cycle', Depth: 'depth' } as const;
export type WalkLimit = (typeof WalkLimit)[keyof typeof WalkLimit];

export interface LimitHit {
  readonly limit: WalkLimit;
  /** Relative to the walked root. */
  readonly path: FieldPath;
}

export function describeLimit(limit: WalkLimit): string {
  switch (limit) {
    case WalkLimit.Cycle:
      return 'the value contains itself (a recursive YAML alias)';
    case WalkLimit.Depth:
      return `the value is nested deeper than ${MAX_DEPTH} levels`;
  }
}

export type Visit = (node: unknown, path: FieldPath) => void;

/**
 * Calls `visit` on every non-collection leaf in order, and `onLimit` where a collection repeats one of its
 * ancestors or would be deeper than MAX_DEPTH (that subtree is skipped).
 */
export function walkLeaves(root: unknown, visit: Visit, onLimit: (hit: LimitHit) => void): void {
  const walk = (node: unknown, path: FieldPath, ancestors: readonly object[]): void => {
    if (typeof node !== 'object' || node === null) {
      visit(node, path);
      return;
    }
    const hit = limitAt(node, ancestors);
    if (hit !== undefined) {
      onLimit({ limit: hit, path });
      return;
    }
    const inner = [...ancestors, node];
    if (Array.isArray(node))
      node.forEach((item: unknown, i) => {
        walk(item, [...path, i], inner);
      });
    else for (const [key, value] of Object.entries(node)) walk(value, [...path, key], inner);
  };
  walk(root, [], []);
}

/** A copy of plain data with every leaf passed through `map`; a cycle or too deep a subtree becomes `onLimit`'s answer. */
export function mapLeaves(
  root: unknown,
  map: (leaf: unknown) => unknown,
  onLimit: (hit: LimitHit) => unknown,
): unknown {
  const walk = (node: unknown, path: FieldPath, ancestors: readonly object[]): unknown => {
    if (typeof node !== 'object' || node === null) return map(node);
    const hit = limitAt(node, ancestors);
    if (hit !== undefined) return onLimit({ limit: hit, path });
    const inner = [...ancestors, node];
    if (Array.isArray(node)) return node.map((item: unknown, i) => walk(item, [...path, i], inner));
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, walk(value, [...path, key], inner)]),
    );
  };
  return walk(root, [], []);
}

/** The first cycle or too-deep collection in plain data, or undefined when it is a finite tree within bounds. */
export function findLimit(root: unknown): LimitHit | undefined {
  let found: LimitHit | undefined;
  walkLeaves(
    root,
    () => undefined,
    (hit) => {
      found ??= hit;
    },
  );
  return found;
}

function limitAt(node: object, ancestors: readonly object[]): WalkLimit | undefined {
  if (ancestors.includes(node)) return WalkLimit.Cycle;
  if (ancestors.length >= MAX_DEPTH) return WalkLimit.Depth;
  return undefined;
}
