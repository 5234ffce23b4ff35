// The API's shapes, from the server's generated client types (themselves generated from the route table's
// zod schemas), so the CLI and the hub cannot disagree about a field.
export type {
  Attachment,
  Cluster,
  ClusterPage,
  CreatedToken,
  Event,
  Operations,
  OperationId,
  Pack,
  PackDiff,
  PackTransition,
  Problem,
  ProfileSummary,
  ProfileVersion,
  ProfileWithSource,
  TokenRole,
  ValidationResult,
} from '../server/client-types.js';
export { operations } from '../server/client-types.js';
import type { Event } from '../server/client-types.js';

/** A stream event (one schema per kind), with the envelope fields every kind may carry readable on all. */
export type HubEvent = Event & { readonly id?: number; readonly cluster?: string; readonly pack?: string };
