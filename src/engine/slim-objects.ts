import type { KubernetesObject, V1ManagedFieldsEntry } from '@kubernetes/client-node';
import { FIELD_MANAGER } from './drift.js';
import { sharedValues } from './shared-values.js';

/** kubectl's copy of the whole applied object, often the largest annotation an object carries. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Kinds whose payload no status rule reads: a ConfigMap or Secret is Ready once it exists (status/generic.ts,
 * kstatus' alwaysReady), and drift compares managedFields, not values. Their data is most of their size (a
 * dashboard's JSON, a certificate), and a Secret's has no business in the hub's memory.
 */
const payloadFields: ReadonlyMap<string, readonly string[]> = new Map([
  ['v1/ConfigMap', ['data', 'binaryData']],
  ['v1/Secret', ['data', 'stringData']],
]);

/**
 * What the watch cache keeps of an object of `kind` a pack owns: everything the status rules read, and of its
 * managedFields only Strata's own entry (drift compares its fields) and the other managers' names (drift names
 * who changed it). Their fieldsV1 trees and kubectl's last-applied copy are most of an object's size and
 * nothing reads them (issue 15: memory per watched object). Labels, annotations and Strata's fields are shared
 * between the objects that have the same ones (shared-values.ts): the objects of a pack carry the same labels.
 */
export function slimOwned(kind: {
  readonly apiVersion: string;
  readonly kind: string;
}): <T extends KubernetesObject>(object: T) => T {
  const payload = payloadFields.get(`${kind.apiVersion}/${kind.kind}`) ?? [];
  // List items carry no apiVersion and kind: set from the watch, so the object names itself (refOf) and the
  // watch set keeps no ref beside it.
  return (object) => {
    const slimmed = withoutFields(slim(object, ownEntries), payload);
    const named = slimmed === object ? { ...object } : slimmed;
    named.apiVersion = kind.apiVersion;
    named.kind = kind.kind;
    return named;
  };
}

function ownEntries(entries: V1ManagedFieldsEntry[]): V1ManagedFieldsEntry[] {
  return entries.map((entry) =>
    entry.manager === FIELD_MANAGER
      ? {
          manager: entry.manager,
          ...(entry.operation === undefined ? {} : { operation: entry.operation }),
          ...(entry.subresource === undefined ? {} : { subresource: entry.subresource }),
          ...(entry.fieldsV1 === undefined ? {} : { fieldsV1: sharedValues.share<unknown>(entry.fieldsV1) }),
        }
      : {
          manager: entry.manager,
          operation: entry.operation,
          ...(entry.subresource === undefined ? {} : { subresource: entry.subresource }),
        },
  );
}

/** Pods, ReplicaSets and Warning events: only their status and ownership are read; no managedFields at all. */
export function slimRelated<T extends KubernetesObject>(object: T): T {
  return slim(object, () => undefined);
}

function slim<T extends KubernetesObject>(
  object: T,
  keep: (entries: V1ManagedFieldsEntry[]) => V1ManagedFieldsEntry[] | undefined,
): T {
  const metadata = object.metadata;
  if (metadata === undefined) return object;
  const { managedFields, annotations, labels, ...rest } = metadata;
  const fields = managedFields === undefined ? undefined : keep(managedFields);
  const { [LAST_APPLIED]: _lastApplied, ...otherAnnotations } = annotations ?? {};
  return {
    ...object,
    metadata: {
      ...rest,
      ...(labels === undefined ? {} : { labels: sharedValues.share(labels) }),
      ...(fields === undefined ? {} : { managedFields: fields }),
      ...(annotations === undefined ? {} : { annotations: sharedValues.share(otherAnnotations) }),
    },
  };
}

function withoutFields<T extends KubernetesObject>(object: T, fields: readonly string[]): T {
  if (fields.every((field) => !(field in object))) return object;
  const kept: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(object)) if (!fields.includes(field)) kept[field] = value;
  return kept as T;
}
