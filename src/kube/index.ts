export { backoffDelay, abortableSleep, defaultBackoff, type Backoff } from './backoff.js';
export type { KubeApi } from './api.js';
export { KubeClient, type ApplyOptions, type DeleteOptions, type WatchQuery } from './client.js';
export {
  classifyError,
  describeConflicts,
  KubeError,
  KubeErrorCode,
  type FieldConflict,
  type KubeErrorOptions,
  type StatusCause,
  type StatusLike,
} from './errors.js';
export {
  ListWatch,
  type ConnectionState,
  type ListTransform,
  type ListWatchOptions,
  type ListWatchSource,
  type WatchEvent,
  type WatchHandler,
} from './list-watch.js';
export {
  AddressRange,
  checkOutbound,
  DEFAULT_OUTBOUND_DENY,
  deniedRange,
  parseOutboundDeny,
  type OutboundRefusal,
  type Resolve,
} from './outbound-policy.js';
export { keyOf, parseApiVersion, type ResourceInfo } from './refs.js';
export { formatRef, refOf, type ObjectRef } from '../shared/refs.js';
export type { RawWatchEvent } from './watch-stream.js';
export {
  defaultWatchBudgetBytes,
  WatchAccount,
  WatchBudget,
  WATCH_BUDGET_RESERVED,
  type WatchBudgetOptions,
  type WatchCharge,
} from './watch-budget.js';
