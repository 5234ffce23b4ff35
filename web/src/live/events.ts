// The live stream's messages, parsed into a discriminated union the reducer can switch over. Anything the
// page does not act on (transitions, kinds added later) becomes `other` and leaves the state alone.
import type { Drift, PackStatusRecord, StreamEvent } from '../api/types';
import { isPackPhase } from '../status/phase';

export type LiveEvent =
  | {
      readonly kind: 'pack.status';
      readonly id: number;
      readonly cluster: string;
      readonly pack: string;
      readonly status: PackStatusRecord;
    }
  | { readonly kind: 'pack.removed'; readonly id: number; readonly cluster: string; readonly pack: string }
  | { readonly kind: 'pack.drift'; readonly cluster: string; readonly pack: string; readonly drift: Drift }
  | {
      readonly kind: 'cluster.connection';
      readonly cluster: string;
      readonly reachable: boolean;
      readonly error?: string;
    }
  | { readonly kind: 'cluster.changed'; readonly cluster: string }
  | { readonly kind: 'cluster.removed'; readonly cluster: string }
  | { readonly kind: 'other' };

const OTHER: LiveEvent = { kind: 'other' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isStatus(value: unknown): value is PackStatusRecord {
  return (
    isRecord(value) &&
    isPackPhase(value.phase) &&
    typeof value.message === 'string' &&
    isRecord(value.progress) &&
    Array.isArray(value.resources)
  );
}

/** A stream message as the reducer sees it; malformed messages are `other`, never a crash. */
export function toLiveEvent(event: StreamEvent): LiveEvent {
  const cluster = event.cluster;
  if (cluster === undefined) return OTHER;
  const data = isRecord(event.data) ? event.data : {};
  switch (event.kind) {
    case 'pack.status':
      return event.id !== undefined && event.pack !== undefined && isStatus(data.status)
        ? { kind: 'pack.status', id: event.id, cluster, pack: event.pack, status: data.status }
        : OTHER;
    case 'pack.removed':
      return event.id !== undefined && event.pack !== undefined
        ? { kind: 'pack.removed', id: event.id, cluster, pack: event.pack }
        : OTHER;
    case 'pack.drift':
      return event.pack !== undefined &&
        typeof data.message === 'string' &&
        typeof data.correcting === 'boolean'
        ? {
            kind: 'pack.drift',
            cluster,
            pack: event.pack,
            drift: { time: event.time, message: data.message, correcting: data.correcting },
          }
        : OTHER;
    case 'cluster.connection':
      return typeof data.reachable === 'boolean'
        ? {
            kind: 'cluster.connection',
            cluster,
            reachable: data.reachable,
            ...(typeof data.error === 'string' ? { error: data.error } : {}),
          }
        : OTHER;
    case 'cluster.registered':
    case 'cluster.updated':
      return { kind: 'cluster.changed', cluster };
    case 'cluster.removed':
      return { kind: 'cluster.removed', cluster };
    default:
      return OTHER;
  }
}
