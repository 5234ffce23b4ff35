import type { KubernetesObject, V1ManagedFieldsEntry } from '@kubernetes/client-node';
import { FIELD_MANAGER } from './drift.js';

/** kubectl's copy of the whole applied object, often the largest annotation an object carries. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What the watch cache keeps of an object a pack owns: everything the status rules read, and of its
 * managedFields only Strata's own entry whole (drift compares its fields) and the other managers' names (drift
 * names who changed it). Their fieldsV1 trees and kubectl's last-applied copy are most of an object's size and
 * nothing reads them (issue 15: memory per watched object).
 */
export function slimOwned<T extends KubernetesObject>(object: T): T {
  return slim(object, (entries) =>
    entries.map((entry) =>
      entry.manager === FIELD_MANAGER
        ? entry
        : {
            manager: entry.manager,
            operation: entry.operation,
            ...(entry.subresource === undefined ? {} : { subresource: entry.subresource }),
          },
    ),
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
  const { managedFields, annotations, ...rest } = metadata;
  const fields = managedFields === undefined ? undefined : keep(managedFields);
  const { [LAST_APPLIED]: _lastApplied, ...otherAnnotations } = annotations ?? {};
  return {
    ...object,
    metadata: {
      ...rest,
      ...(fields === undefined ? {} : { managedFields: fields }),
      ...(annotations === undefined ? {} : { annotations: otherAnnotations }),
    },
  };
}
