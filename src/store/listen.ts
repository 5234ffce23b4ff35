// PostgreSQL LISTEN for hub replicas (issue 16): a wake-up when another process commits events. It carries no
// data: readers then read the events table after the last id they saw, which is the truth (a notification can
// be lost while the connection is down; the reader's poll covers that).
import { createRequire } from 'node:module';
import type pgModule from 'pg';

/** The channel every transaction that appends events notifies, at its commit (see lockEventOrder). */
export const EVENTS_CHANNEL = 'strata_events';

export interface Listening {
  close(): Promise<void>;
}

/**
 * Listens on `channel` with a connection of its own (outside the pool: a pooled connection would be handed to
 * other queries). `onNotify` is called for every notification; `onError` when the connection fails (the caller
 * polls meanwhile and may listen again).
 */
export async function listenPostgres(
  url: string,
  channel: string,
  /** Called with each notification's payload ('' for the events channel, which carries none). */
  onNotify: (payload: string) => void,
  onError: (error: Error) => void,
): Promise<Listening> {
  const pg = createRequire(import.meta.url)('pg') as typeof pgModule;
  const client = new pg.Client({ connectionString: url });
  client.on('notification', (notification) => {
    onNotify(notification.payload ?? '');
  });
  client.on('error', onError);
  await client.connect();
  // The channel is ours (a constant), never a client's: quoting it is enough.
  await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
  return {
    close: async () => {
      client.removeAllListeners('notification');
      await client.end().catch(() => undefined);
    },
  };
}
