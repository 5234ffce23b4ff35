// Chart sources: Helm repositories and OCI registries the hub fetches remote charts from, with their
// credentials (issue 13). A source's password is the hub's to use, never to show: it is sealed in the store
// and no record this service returns carries it. Every change is audited in its own transaction.
import type { ChartSourceInput, ChartSourceRecord, Store } from '../store/index.js';
import type { Actor } from './config.js';

export class ChartSources {
  constructor(private readonly store: Store) {}

  /** Adds or replaces a source. */
  put(input: ChartSourceInput, actor: Actor): Promise<ChartSourceRecord> {
    return this.store.transaction(async (tx) => {
      const saved = await tx.chartSources.put(input);
      await tx.audit.record({
        actor,
        action: 'source.put',
        target: `source/${input.name}`,
        details: { url: input.url, ...(input.username === undefined ? {} : { username: input.username }) },
      });
      return saved;
    });
  }

  list(): Promise<ChartSourceRecord[]> {
    return this.store.chartSources.list();
  }

  /** Removes a source; versions already published keep the charts they pinned. */
  async remove(name: string, actor: Actor): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.chartSources.delete(name);
      await tx.audit.record({ actor, action: 'source.remove', target: `source/${name}` });
    });
  }
}
