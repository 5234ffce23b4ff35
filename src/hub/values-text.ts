// The YAML text of a pack's values as `…/values` shows them (review 5e: any viewer could have a 900 KB pack
// written as YAML, about a second on the event loop, on every request). A large pack's text is written in a
// worker thread, and every text is kept while its desired pack is current, within a byte budget, least
// recently used out first; requests that arrive together share one writing.
import type { DesiredPack } from '../engine/index.js';
import { ByteLru } from './byte-lru.js';
import { busyError } from './errors.js';
import { packValuesView, shownValues, type ShownPackValues } from './present.js';
import { yamlText } from './yaml-text.js';
import { UploadCheckAborted, UploadChecker, UploadCheckerBusy } from './upload-checker.js';
import { HUB_OWNER, type WaitingOwner } from './fair-waiting.js';
import type { PackValuesView } from './views.js';

/** Bytes of values kept in all, masked and as YAML text. */
export const VALUES_TEXT_BYTES = 32 * 1024 * 1024;
/** Values of at most this many bytes (as JSON) are written on the event loop: a few milliseconds. */
export const VALUES_INLINE_BYTES = 64 * 1024;

interface Text extends ShownPackValues {
  /** Bytes held: the text and the masked copy of the values (a JSON byte takes a few in the heap). */
  readonly bytes: number;
}

export class ValuesText {
  private readonly kept = new ByteLru<Text>({
    maxBytes: VALUES_TEXT_BYTES,
    sizeOf: (text) => text.bytes,
  });
  /** Each desired pack's number: a pack's key changes when its desired pack does (an old one ages out). */
  private readonly ids = new WeakMap<DesiredPack, number>();
  private nextId = 0;
  /** One thread (unreferenced, ended when idle) for the large ones. */
  private readonly writers = new UploadChecker({ concurrency: 1, maxWaiting: 8 });

  /**
   * The pack's values view; `key` names the pack on its cluster, `owner` whose request it is (a large pack's
   * writing waits with that token's share of the thread's places; requests that arrive together share it),
   * `signal` that its request was closed: the writing stops (leaves the queue, or its thread is ended) once every
   * request sharing it has gone (ByteLru.build).
   */
  async view(
    key: string,
    desired: DesiredPack,
    notes?: string,
    owner: WaitingOwner = HUB_OWNER,
    signal?: AbortSignal,
  ): Promise<PackValuesView> {
    let id = this.ids.get(desired);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(desired, id);
    }
    const text = await this.kept.build(`${key}#${id}`, (stop) => this.write(desired, owner, stop), signal);
    return packValuesView(desired, notes, text);
  }

  private async write(desired: DesiredPack, owner: WaitingOwner, signal: AbortSignal): Promise<Text> {
    const shown = shownValues(desired);
    const text = (yaml: string) => ({
      shown: shown.shown,
      yaml,
      masked: shown.masked,
      bytes: yaml.length * 2 + shown.bytes * 4,
    });
    if (shown.bytes <= VALUES_INLINE_BYTES) return text(yamlText(shown.documents));
    try {
      return text(await this.writers.writeYaml(shown.documents, owner, signal));
    } catch (error) {
      if (error instanceof UploadCheckAborted) throw busyError(error, 'pack values');
      if (error instanceof UploadCheckerBusy) throw busyError(error, 'pack values are being written already');
      throw error;
    }
  }
}
