// A client that takes its answer slowly, for the tests of the write-stall guard and the answers' deadline
// (write-stall.ts): a real socket, read one chunk at a time (what Node reads at once, at most 64 KiB), with a
// pause after each.
import type { Socket } from 'node:net';

export interface SlowReader {
  /** What was read so far, in order. */
  readonly chunks: readonly Buffer[];
  /** How many bytes were read so far. */
  readonly received: number;
}

/** Reads `socket` one chunk at a time, `pauseMs` after each: about 64 KiB per `pauseMs` at most. */
export function readSlowly(socket: Socket, pauseMs: number): SlowReader {
  const chunks: Buffer[] = [];
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
    socket.pause();
    setTimeout(() => socket.resume(), pauseMs);
  });
  socket.resume();
  return {
    chunks,
    get received() {
      return received;
    },
  };
}
