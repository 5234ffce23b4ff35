// A client that closes its request gives up the work it asked for: a costly job that waits for a thread leaves
// the queue, one that runs is ended (review 11, item 4: aborted validations still ran and held the
// validations' places; the same held for health-rule tests and pack values until session 11).
import type { FastifyRequest } from 'fastify';

/**
 * Runs `work` with a signal aborted when the request's connection closes before `work` ends (and at once when it
 * is closed already).
 */
export async function untilClosed<T>(
  request: FastifyRequest,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const closed = new AbortController();
  const socket = request.raw.socket;
  const abort = () => {
    closed.abort();
  };
  if (socket.destroyed) abort();
  else socket.once('close', abort);
  try {
    return await work(closed.signal);
  } finally {
    socket.off('close', abort);
  }
}
