// The probe stream of the fan-out benches (bench/sse-fanout.bench.ts, bench/hub-scale.bench.ts): deletes a probe
// pack's ConfigMap and follows that pack's status events until the hub has put it back and it is green again.
import type { CoreV1Api } from '@kubernetes/client-node';
import type { HubProcess } from '../hub-process.js';
import { configMapOf } from './hub-api.js';
import { now, openSse, type SseMessage } from './sse-client.js';

/** One cycle's events: the ids the hub gave them and when the delete that caused them was sent. */
export interface Cycle {
  readonly trigger: number;
  readonly ids: number[];
  /** The first not-green status of the pack: the event the delete itself caused. */
  firstId: number | undefined;
  /** Delete call → that event at this process's client. */
  firstMs: number | undefined;
}

/**
 * The probe client: parses each pack.status event (pack and phase) and lets a cycle wait for its pack to
 * turn not green, then green again.
 */
export function probeClient(h: Pick<HubProcess, 'url' | 'token'>, cluster: string) {
  let current: { pack: string; cycle: Cycle; sawNotGreen: boolean; done: () => void } | undefined;
  const onMessage = (m: SseMessage) => {
    if (m.kind !== 'pack.status' || m.data === undefined || m.id === undefined) return;
    const event = JSON.parse(m.data) as { pack: string; data: { phase: string } };
    const c = current;
    if (c === undefined || event.pack !== c.pack) return;
    c.cycle.ids.push(m.id);
    if (event.data.phase !== 'success' && !c.sawNotGreen) {
      c.sawNotGreen = true;
      c.cycle.firstId = m.id;
      c.cycle.firstMs = m.at - c.cycle.trigger;
    } else if (event.data.phase === 'success' && c.sawNotGreen) c.done();
  };
  const client = openSse({ url: h.url, token: h.token, cluster, parse: true, onMessage });
  return {
    live: client.live,
    close: () => {
      client.close();
    },
    /** Deletes the pack's ConfigMap and resolves once the hub has put it back and the pack is green again. */
    async cycle(core: CoreV1Api, pack: string): Promise<Cycle> {
      const cycle: Cycle = { trigger: 0, ids: [], firstId: undefined, firstMs: undefined };
      const back = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`pack ${pack}: not green again 60 s after its ConfigMap was deleted`));
        }, 60_000);
        current = {
          pack,
          cycle,
          sawNotGreen: false,
          done: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
      (cycle as { trigger: number }).trigger = now();
      await core.deleteNamespacedConfigMap({ name: configMapOf(pack, 0), namespace: 'probe' });
      await back;
      current = undefined;
      return cycle;
    },
  };
}
