// Requests of a connection still waiting for their answers (HTTP/1.1 pipelining): counted on the socket from the
// request's arrival until its answer closes, by the server's first hook and by the page's fast path alike
// (kept-page-answer.ts), so MAX_PIPELINED_REQUESTS counts both, and the fast path answers only a request that
// has no other answer before it.
import type { ServerResponse } from 'node:http';

const UNANSWERED = Symbol('unanswered requests');
type Counted = { [UNANSWERED]?: number };
const socketOf = new WeakMap<ServerResponse, Counted>();

/** An answer ended (or its connection closed): its socket has one request fewer waiting. */
function answered(this: ServerResponse): void {
  const socket = socketOf.get(this);
  if (socket !== undefined) socket[UNANSWERED] = (socket[UNANSWERED] ?? 1) - 1;
}

/** The requests of `socket` waiting for their answers now. */
export function unanswered(socket: object): number {
  return (socket as Counted)[UNANSWERED] ?? 0;
}

/** A request came on `socket`, to be answered by `res`: counted until `res` closes. Returns the count with it. */
export function countUnanswered(socket: object, res: ServerResponse): number {
  const counted = socket as Counted;
  const waiting = (counted[UNANSWERED] ?? 0) + 1;
  counted[UNANSWERED] = waiting;
  socketOf.set(res, counted);
  res.once('close', answered);
  return waiting;
}
