// The YAML text of a pack's values as `…/values` shows them, kept while the pack is unchanged (review 5e: any
// viewer could have a 900 KB pack written as YAML, about a second on the event loop, on every request). Kept by
// cluster and pack for the desired pack it was written from (held weakly: an updated pack is not kept alive by
// it), within a byte budget, least recently used out first.
import { ByteLru } from './byte-lru.js';
import type { DesiredPack } from '../engine/index.js';
import { packValuesView } from './present.js';
import type { PackValuesView } from './views.js';

/** Bytes of YAML text kept in all (a string of n characters holds up to 2n bytes). */
export const VALUES_TEXT_BYTES = 16 * 1024 * 1024;

interface Text {
  readonly of: WeakRef<DesiredPack>;
  readonly yaml: string;
  readonly masked: boolean;
}

export class ValuesText {
  private readonly kept = new ByteLru<Text>({
    maxBytes: VALUES_TEXT_BYTES,
    sizeOf: (text) => text.yaml.length * 2,
  });

  /** The pack's values view; `key` names the pack on its cluster. */
  view(key: string, desired: DesiredPack, notes?: string): PackValuesView {
    const kept = this.kept.get(key);
    if (kept !== undefined && kept.of.deref() === desired)
      return packValuesView(desired, notes, { yaml: kept.yaml, masked: kept.masked });
    const view = packValuesView(desired, notes);
    this.kept.set(key, { of: new WeakRef(desired), yaml: view.yaml, masked: view.masked });
    return view;
  }
}
