import type { KubernetesObject } from '@kubernetes/client-node';
import { Annotation } from './render.js';

/** Why an object a pack owns stays in the cluster when the pack is removed or stops rendering it. */
export const KeepReason = {
  /** `helm.sh/resource-policy: keep`, which Helm honours on uninstall and upgrade. */
  ResourcePolicy: 'resource-policy',
  /** A CRD from a chart's `crds/` folder: Helm never deletes those (their custom resources would go too). */
  ChartCrd: 'chart-crd',
} as const;
export type KeepReason = (typeof KeepReason)[keyof typeof KeepReason];

/**
 * Whether Helm would leave this object on removal, from the live object or, when it is not seen, the
 * rendered one. CRDs in a chart's templates/ are deleted like any object, as Helm does.
 */
export function keepReason(object: Pick<KubernetesObject, 'metadata'> | undefined): KeepReason | undefined {
  const annotations = object?.metadata?.annotations ?? {};
  if (annotations[Annotation.ResourcePolicy]?.trim().toLowerCase() === 'keep')
    return KeepReason.ResourcePolicy;
  if (annotations[Annotation.ChartCrd] === 'true') return KeepReason.ChartCrd;
  return undefined;
}

/** The apiVersion and kind a CRD serves its objects as (its storage version), from the CRD object. */
export function servedKind(crd: KubernetesObject): { apiVersion: string; kind: string } | undefined {
  const spec = (crd as { spec?: CrdSpec }).spec;
  const version = spec?.versions?.find((v) => v.storage) ?? spec?.versions?.[0];
  if (!spec?.group || !spec.names?.kind || !version?.name) return undefined;
  return { apiVersion: `${spec.group}/${version.name}`, kind: spec.names.kind };
}

interface CrdSpec {
  readonly group?: string;
  readonly names?: { readonly kind?: string };
  readonly versions?: readonly { readonly name?: string; readonly storage?: boolean }[];
}

/**
 * A ClusterRole with an aggregationRule: kube-controller-manager fills its rules from the ClusterRoles its
 * selectors match, with server-side apply.
 */
export function aggregatesRoles(object: KubernetesObject | undefined): boolean {
  return (
    object?.kind === 'ClusterRole' &&
    (object.apiVersion ?? '').startsWith('rbac.authorization.k8s.io/') &&
    (object as { aggregationRule?: unknown }).aggregationRule != null
  );
}
