import type { KubernetesObject } from '@kubernetes/client-node';
import { formatRef, type ObjectRef } from '../status/index.js';
import { sharedValues } from './shared-values.js';

/** The field manager Strata applies with (server-side apply). */
export const FIELD_MANAGER = 'strata';

/**
 * Strata's own entry in an object's managedFields, as text: the fields we own right now. Objects with the same
 * fields share one string (shared-values.ts), as kept per object for drift, and it is not computed again.
 */
export function ownFields(object: KubernetesObject): string {
  const entry = object.metadata?.managedFields?.find(
    (f) => f.manager === FIELD_MANAGER && f.operation === 'Apply' && !f.subresource,
  );
  return entry?.fieldsV1 === undefined ? 'null' : sharedValues.json(entry.fieldsV1 as unknown);
}

/**
 * Out-of-band change to an object a pack owns, as a message, or undefined when there is none. A deletion is
 * drift. A modification is drift only when Strata no longer owns the fields it owned right after its own apply
 * (`appliedFields`): another manager took some over (kubectl edit/scale, a script). Controllers writing status
 * or their own annotations leave our fields alone, so they are not drift.
 */
export function detectDrift(options: {
  ref: ObjectRef;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  live: KubernetesObject;
  appliedFields: string | undefined;
}): string | undefined {
  const { ref, type, live, appliedFields } = options;
  if (type === 'DELETED') return `drift: ${formatRef(ref)} deleted`;
  if (type !== 'MODIFIED' || appliedFields === undefined || ownFields(live) === appliedFields)
    return undefined;
  const others = (live.metadata?.managedFields ?? [])
    .filter(
      (f) =>
        f.manager !== FIELD_MANAGER &&
        f.subresource !== 'status' &&
        (f.operation === 'Update' || f.operation === 'Apply'),
    )
    .map((f) => f.manager ?? 'unknown');
  return `drift: ${formatRef(ref)} changed${others.length > 0 ? ` by ${[...new Set(others)].join(', ')}` : ''}`;
}
