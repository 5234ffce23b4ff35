import type { KubernetesObject } from '@kubernetes/client-node';
import { currentCondition, describeCondition, findCondition, type ConditionLike } from './conditions.js';
import { failed, progressing, ready } from './evaluation.js';
import { generationBehind } from './generation.js';
import { isRecord } from '../shared/guards.js';
import { isTerminalErrorReason, parseConditions, unknownStatus } from './generic.js';
import { refOf, type ObjectRef } from '../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';

/**
 * Gateway API (gateway.networking.k8s.io, any version). None of its kinds has a `Ready` condition (the type is
 * reserved), so the generic rule would wait for one until the pack's timeout. Every condition here is a
 * metav1.Condition with its own observedGeneration; one written for an older generation counts as not yet
 * updated.
 *
 * Condition types and reasons are those of the API:
 *   https://github.com/kubernetes-sigs/gateway-api/blob/main/apis/v1/gateway_types.go (Gateway, Listener)
 *   https://github.com/kubernetes-sigs/gateway-api/blob/main/apis/v1/gatewayclass_types.go
 *   https://github.com/kubernetes-sigs/gateway-api/blob/main/apis/v1/shared_types.go (RouteParentStatus)
 *   https://github.com/kubernetes-sigs/gateway-api/blob/main/apis/v1/policy_types.go (PolicyAncestorStatus)
 *   https://github.com/kubernetes-sigs/gateway-api/blob/main/apis/v1/backendtlspolicy_types.go
 * Improves on Argo CD's health checks
 *   https://github.com/argoproj/argo-cd/tree/master/resource_customizations/gateway.networking.k8s.io
 * (see each rule for how). ReferenceGrant has no status and is left to the generic rule (Ready once it exists).
 */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** The route kinds: CommonRouteSpec.parentRefs in the spec, RouteStatus.parents in the status. */
export const gatewayRouteKinds = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute'] as const;
export type GatewayRouteKind = (typeof gatewayRouteKinds)[number];

/**
 * Reasons that mean "no controller has decided yet" rather than a verdict: `Pending` (the CRDs' default status
 * on every kind), and its deprecated spellings `NotReconciled` (Gateway) and `Waiting` (GatewayClass).
 */
const notYetReconciled: ReadonlySet<string> = new Set(['Pending', 'NotReconciled', 'Waiting']);

const isNotYetReconciled = (reason: string | undefined) =>
  reason !== undefined && notYetReconciled.has(reason);

/** Gateway `Programmed=False` reasons that will not clear by waiting: the spec or a requested address is wrong. */
const gatewayProgrammedFailed: ReadonlySet<string> = new Set(['Invalid', 'AddressNotUsable']);

/**
 * `ResolvedRefs=False` reasons, split into "the referent may still appear" (a Service, Secret, ConfigMap or
 * ReferenceGrant applied moments later by this or another pack, or a certificate cert-manager is issuing; the
 * pack timeout decides) and "the reference itself is wrong". Reasons in neither list fail only when they read
 * as terminal errors ({@link isTerminalErrorReason}).
 */
interface RefsVocabulary {
  readonly waiting: ReadonlySet<string>;
  readonly failed: ReadonlySet<string>;
}

const routeRefs: RefsVocabulary = {
  waiting: new Set(['BackendNotFound', 'RefNotPermitted']),
  failed: new Set(['InvalidKind', 'UnsupportedProtocol']),
};
const listenerRefs: RefsVocabulary = {
  waiting: new Set(['InvalidCertificateRef', 'RefNotPermitted', 'InvalidCACertificateRef']),
  failed: new Set(['InvalidRouteKinds', 'InvalidCACertificateKind']),
};
const gatewayRefs: RefsVocabulary = {
  waiting: new Set(['RefNotPermitted', 'InvalidClientCertificateRef', 'ListenersNotResolved']),
  failed: new Set(),
};
const backendTLSPolicyRefs: RefsVocabulary = {
  waiting: new Set(['InvalidCACertificateRef']),
  failed: new Set(['InvalidKind']),
};

/**
 * `Accepted=False` reasons that only restate an unresolved reference, judged by ResolvedRefs instead: the
 * policy/listener `NoValidCACertificate`, and implementations that repeat the ResolvedRefs reason on Accepted
 * (NGINX Gateway Fabric: listener Accepted=False InvalidCertificateRef, Programmed=False Invalid).
 */
const acceptedBecauseOfRefs: ReadonlySet<string> = new Set(['NoValidCACertificate']);

function restatesRefs(reason: string, refs: ConditionLike | undefined): boolean {
  return acceptedBecauseOfRefs.has(reason) || reason === refs?.reason;
}

/** What one status entry (a route parent, a policy ancestor, a listener) says. */
interface Verdict {
  readonly state: typeof ResourceState.Ready | typeof ResourceState.Progressing | typeof ResourceState.Failed;
  readonly reason: string;
  readonly detail: string;
}

const failedVerdict = (reason: string, detail: string): Verdict => ({
  state: ResourceState.Failed,
  reason,
  detail,
});
const waitingVerdict = (reason: string, detail: string): Verdict => ({
  state: ResourceState.Progressing,
  reason,
  detail,
});
const readyVerdict = (reason: string, detail: string): Verdict => ({
  state: ResourceState.Ready,
  reason,
  detail,
});

function toEvaluation(ref: ObjectRef, v: Verdict): ResourceEvaluation {
  if (v.state === ResourceState.Failed) return failed(ref, v.reason, v.detail);
  if (v.state === ResourceState.Progressing) return progressing(ref, v.reason, v.detail);
  return ready(ref, v.reason, v.detail);
}

/** The first Failed verdict, else the first Progressing one. */
function worstVerdict(verdicts: readonly Verdict[]): Verdict | undefined {
  return (
    verdicts.find((v) => v.state === ResourceState.Failed) ??
    verdicts.find((v) => v.state === ResourceState.Progressing)
  );
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function list(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

function specOf(obj: KubernetesObject): Record<string, unknown> | undefined {
  const spec: unknown = (obj as { spec?: unknown }).spec;
  return isRecord(spec) ? spec : undefined;
}

/** status.observedGeneration, when an implementation reports one (the API itself has it only per condition). */
function behind(ref: ObjectRef, obj: KubernetesObject): ResourceEvaluation | undefined {
  const og = unknownStatus(obj)?.['observedGeneration'];
  return generationBehind(ref, obj, typeof og === 'number' ? og : undefined, { requireObserved: false });
}

/** Conditions read against the object's generation: `get` returns only current ones. */
function conditionReader(conditions: readonly ConditionLike[], generation: number | undefined) {
  return (type: string) => currentCondition(findCondition(conditions, type), generation);
}

/**
 * The first of `types` present but written for an older generation, as a sentence naming who has to catch up:
 * "waiting for Gateway infra/main to observe generation 3 (Accepted is from generation 2)".
 */
function staleDetail(
  conditions: readonly ConditionLike[],
  types: readonly string[],
  generation: number | undefined,
  who: string,
): string | undefined {
  if (generation === undefined) return undefined;
  for (const type of types) {
    const og = findCondition(conditions, type)?.observedGeneration;
    if (og !== undefined && og < generation) {
      return `waiting for ${who} to observe generation ${generation} (${type} is from generation ${og})`;
    }
  }
  return undefined;
}

/** A ResolvedRefs=False condition judged by the kind's vocabulary. */
function refsVerdict(refs: ConditionLike, vocabulary: RefsVocabulary, detail: string): Verdict {
  const reason = refs.reason ?? 'UnresolvedRefs';
  if (vocabulary.waiting.has(reason)) return waitingVerdict(reason, detail);
  if (vocabulary.failed.has(reason) || isTerminalErrorReason(reason)) return failedVerdict(reason, detail);
  return waitingVerdict(reason, detail);
}

// --- parent references ---------------------------------------------------------------------------------------

/** A ParentReference with the API's defaults filled in, so a spec entry and its status echo compare equal. */
interface ParentRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly sectionName: string;
  readonly port: number | undefined;
}

function parseParentRef(raw: unknown, localNamespace: string): ParentRef | undefined {
  if (!isRecord(raw)) return undefined;
  const name = str(raw['name']);
  if (name === undefined || name === '') return undefined;
  const kind = str(raw['kind']);
  const namespace = str(raw['namespace']);
  const port = raw['port'];
  return {
    // An explicit "" is the core group (a Service parent in the mesh profile), so only absence defaults.
    group: str(raw['group']) ?? GATEWAY_API_GROUP,
    kind: kind === undefined || kind === '' ? 'Gateway' : kind,
    namespace: namespace === undefined || namespace === '' ? localNamespace : namespace,
    name,
    sectionName: str(raw['sectionName']) ?? '',
    port: typeof port === 'number' ? port : undefined,
  };
}

function sameParent(a: ParentRef, b: ParentRef): boolean {
  return (
    a.group === b.group &&
    a.kind === b.kind &&
    a.namespace === b.namespace &&
    a.name === b.name &&
    a.sectionName === b.sectionName &&
    a.port === b.port
  );
}

/** `Gateway infra/main`, `Gateway infra/main (https)`, `Service apps/api (port 8080)`. */
function describeParent(p: ParentRef): string {
  const where = p.namespace === '' ? p.name : `${p.namespace}/${p.name}`;
  const section = [p.sectionName, p.port === undefined ? '' : `port ${p.port}`].filter((s) => s !== '');
  return `${p.kind} ${where}${section.length > 0 ? ` (${section.join(', ')})` : ''}`;
}

/** One entry of RouteStatus.parents or PolicyStatus.ancestors. */
interface StatusEntry {
  readonly parent: ParentRef;
  readonly conditions: readonly ConditionLike[];
}

function parseStatusEntries(
  raw: unknown,
  refField: 'parentRef' | 'ancestorRef',
  localNamespace: string,
): StatusEntry[] {
  const out: StatusEntry[] = [];
  for (const e of list(raw)) {
    if (!isRecord(e)) continue;
    const parent = parseParentRef(e[refField], localNamespace);
    if (parent) out.push({ parent, conditions: parseConditions(e['conditions']) });
  }
  return out;
}

/**
 * What one parent (or policy ancestor) says about a route (or policy), most definite first:
 * PartiallyInvalid=True (rules dropped or fallen back: the spec is partly wrong) → Failed;
 * ResolvedRefs=False with a wrong reference → Failed; Accepted=False with a verdict → Failed;
 * ResolvedRefs=False waiting for a referent → Progressing; Accepted not (yet) True → Progressing.
 */
function entryVerdict(
  entry: StatusEntry,
  generation: number | undefined,
  refsVocabulary: RefsVocabulary,
  acceptedWaiting: ReadonlySet<string>,
): Verdict {
  const who = describeParent(entry.parent);
  const get = conditionReader(entry.conditions, generation);

  const partial = get('PartiallyInvalid');
  if (partial?.status === 'True') {
    return failedVerdict(
      partial.reason ?? 'PartiallyInvalid',
      `partially invalid for ${who}: ${describeCondition(partial)}`,
    );
  }

  const refs = get('ResolvedRefs');
  const refsOutcome =
    refs?.status === 'False'
      ? refsVerdict(refs, refsVocabulary, `${who}: ${describeCondition(refs)}`)
      : undefined;
  if (refsOutcome?.state === ResourceState.Failed) return refsOutcome;

  const accepted = get('Accepted');
  if (accepted?.status === 'False') {
    const reason = accepted.reason ?? 'NotAccepted';
    if (isNotYetReconciled(accepted.reason)) {
      return waitingVerdict(reason, `waiting for ${who} to accept it: ${describeCondition(accepted)}`);
    }
    if (acceptedWaiting.has(reason)) return waitingVerdict(reason, `${who}: ${describeCondition(accepted)}`);
    if (refsOutcome && restatesRefs(reason, refs)) return refsOutcome;
    return failedVerdict(reason, `not accepted by ${who}: ${describeCondition(accepted)}`);
  }
  if (refsOutcome) return refsOutcome;

  if (accepted === undefined) {
    const stale = staleDetail(entry.conditions, ['Accepted'], generation, who);
    return stale
      ? waitingVerdict('StaleConditions', stale)
      : waitingVerdict('NotAccepted', `${who} has not reported whether it accepts it`);
  }
  if (accepted.status !== 'True') {
    return waitingVerdict(
      accepted.reason ?? 'NotAccepted',
      `waiting for ${who} to accept it: ${describeCondition(accepted)}`,
    );
  }
  return readyVerdict(accepted.reason ?? 'Accepted', `accepted by ${who}`);
}

// --- routes --------------------------------------------------------------------------------------------------

/**
 * HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute: Ready when every parent named in spec.parentRefs has a
 * status entry with Accepted=True (current generation) and ResolvedRefs not False.
 * - Any parent with Accepted=False other than Pending (NotAllowedByListeners, NoMatchingParent,
 *   NoMatchingListenerHostname, UnsupportedValue, IncompatibleFilters) → Failed, naming the parent.
 * - ResolvedRefs=False: InvalidKind, UnsupportedProtocol → Failed; BackendNotFound, RefNotPermitted →
 *   Progressing (the Service or ReferenceGrant may be applied moments later; the pack timeout decides).
 * - PartiallyInvalid=True (the controller dropped rules, or fell back to an older generation) → Failed.
 * - A parent without a status entry yet, or whose conditions are from an older generation → Progressing.
 * - No spec.parentRefs and no `useDefaultGateways`: the route attaches to nothing and nothing will change, so
 *   Ready with a message saying so. With `useDefaultGateways`, at least one parent must accept it.
 *
 * Improves on Argo CD's HTTPRoute/GRPCRoute/TLSRoute checks
 *   https://github.com/argoproj/argo-cd/blob/master/resource_customizations/gateway.networking.k8s.io/HTTPRoute/health.lua
 * which are Healthy once any one parent reports current conditions (a second parent that never accepts the
 * route goes unnoticed), and Degraded on any ResolvedRefs=False, including a backend applied a moment later.
 */
export function evaluateGatewayRoute(obj: KubernetesObject, kind: GatewayRouteKind): ResourceEvaluation {
  const ref = refOf(obj, { apiVersion: `${GATEWAY_API_GROUP}/v1`, kind });
  const generationIsBehind = behind(ref, obj);
  if (generationIsBehind) return generationIsBehind;

  const localNamespace = obj.metadata?.namespace ?? '';
  const spec = specOf(obj);
  const wanted = list(spec?.['parentRefs'])
    .map((p) => parseParentRef(p, localNamespace))
    .filter((p): p is ParentRef => p !== undefined);
  const defaultScope = str(spec?.['useDefaultGateways']);
  const usesDefaultGateways = defaultScope !== undefined && defaultScope !== '' && defaultScope !== 'None';
  if (wanted.length === 0 && !usesDefaultGateways) {
    return ready(ref, 'NoParents', 'not attached to any parent (spec.parentRefs is empty)');
  }

  // Entries for parents the spec no longer names are leftovers, unless the route asked for default Gateways,
  // whose entries its spec cannot name. Judged in spec order, so the message names the first parent listed.
  const order = (e: StatusEntry) => {
    const i = wanted.findIndex((w) => sameParent(w, e.parent));
    return i === -1 ? wanted.length : i;
  };
  const entries = parseStatusEntries(unknownStatus(obj)?.['parents'], 'parentRef', localNamespace)
    .filter((e) => usesDefaultGateways || order(e) < wanted.length)
    .sort((a, b) => order(a) - order(b));
  if (entries.length === 0) {
    const names = wanted.length > 0 ? wanted.map(describeParent).join(', ') : 'a default Gateway';
    return progressing(ref, 'NotAccepted', `not yet accepted by any parent (${names})`);
  }

  const generation = obj.metadata?.generation;
  const worst = worstVerdict(entries.map((e) => entryVerdict(e, generation, routeRefs, new Set())));
  if (worst) return toEvaluation(ref, worst);

  const accepted = entries.map((e) => describeParent(e.parent)).join(', ');
  const missing = wanted.filter((w) => !entries.some((e) => sameParent(w, e.parent)));
  if (missing.length > 0) {
    return progressing(
      ref,
      'NotAccepted',
      `not yet accepted by ${missing.map(describeParent).join(', ')} (accepted by ${accepted})`,
    );
  }
  return ready(ref, 'Accepted', `accepted by ${accepted}`);
}

// --- Gateway -------------------------------------------------------------------------------------------------

interface ListenerStatus {
  readonly name: string;
  readonly conditions: readonly ConditionLike[];
}

function parseListeners(raw: unknown): ListenerStatus[] {
  const out: ListenerStatus[] = [];
  for (const l of list(raw)) {
    if (!isRecord(l)) continue;
    out.push({ name: str(l['name']) ?? '', conditions: parseConditions(l['conditions']) });
  }
  return out;
}

/**
 * One listener (GatewayStatus.listeners): Accepted=False (PortUnavailable, UnsupportedProtocol, …),
 * Conflicted=True or Programmed=False/Invalid → Failed; ResolvedRefs=False judged by {@link listenerRefs}: a
 * missing certificate Secret (often one cert-manager is still issuing) waits, and so do the Accepted=False and
 * Programmed=False/Invalid that restate it; Programmed not True → Progressing. Conditions of an older
 * generation are ignored here: the Gateway's own are checked for that.
 */
function listenerVerdict(listener: ListenerStatus, generation: number | undefined): Verdict {
  const who = `listener "${listener.name}"`;
  const get = conditionReader(listener.conditions, generation);

  const conflicted = get('Conflicted');
  if (conflicted?.status === 'True') {
    return failedVerdict(
      conflicted.reason ?? 'Conflicted',
      `${who} conflicted: ${describeCondition(conflicted)}`,
    );
  }
  const refs = get('ResolvedRefs');
  const refsOutcome =
    refs?.status === 'False'
      ? refsVerdict(refs, listenerRefs, `${who}: ${describeCondition(refs)}`)
      : undefined;
  if (refsOutcome?.state === ResourceState.Failed) return refsOutcome;

  const accepted = get('Accepted');
  if (accepted?.status === 'False' && !isNotYetReconciled(accepted.reason)) {
    const reason = accepted.reason ?? 'NotAccepted';
    if (refsOutcome && restatesRefs(reason, refs)) return refsOutcome;
    return failedVerdict(reason, `${who} not accepted: ${describeCondition(accepted)}`);
  }
  if (refsOutcome) return refsOutcome;
  const programmed = get('Programmed');
  if (programmed?.status === 'False' && programmed.reason === 'Invalid') {
    return failedVerdict('Invalid', `${who} not programmed: ${describeCondition(programmed)}`);
  }
  if (programmed !== undefined && programmed.status !== 'True') {
    return waitingVerdict(
      programmed.reason ?? 'NotProgrammed',
      `${who} not yet programmed: ${describeCondition(programmed)}`,
    );
  }
  return readyVerdict('Programmed', `${who} programmed`);
}

/** `at 172.18.255.200, gw.example.com` from status.addresses[].value, or a note that there is none. */
function gatewayAddresses(status: Record<string, unknown> | undefined): string {
  const values = list(status?.['addresses'])
    .map((a) => (isRecord(a) ? str(a['value']) : undefined))
    .filter((v): v is string => v !== undefined && v !== '');
  return values.length > 0 ? `at ${values.join(', ')}` : '(no address reported)';
}

/**
 * Gateway: Ready when Programmed=True (current generation), Accepted not False and every listener fine.
 * - Accepted=False other than Pending/NotReconciled (Invalid, InvalidParameters, UnsupportedAddress,
 *   ListenersNotValid) → Failed, quoting the condition.
 * - Programmed=False with Invalid or AddressNotUsable → Failed; with Pending, NoResources, AddressNotAssigned
 *   or anything else → Progressing, quoting it.
 * - A listener not accepted, conflicted or with a wrong reference → Failed, naming the listener
 *   ({@link listenerVerdict}); one not yet programmed or waiting for its certificate → Progressing. A Gateway
 *   rejected with ListenersNotValid (or Programmed=False/Invalid) is explained by its listeners, so one whose
 *   only listener waits for a Secret cert-manager is issuing waits too.
 * - No conditions, or only the CRD's default (Accepted Unknown Pending "Waiting for controller") → Progressing,
 *   naming the GatewayClass whose controller has not acted (the usual cause: no controller for that class).
 *
 * Improves on Argo CD's check
 *   https://github.com/argoproj/argo-cd/blob/master/resource_customizations/gateway.networking.k8s.io/Gateway/health.lua
 * which ignores observedGeneration (a condition from the previous spec counts), is Degraded on any
 * ResolvedRefs=False (including a certificate Secret still being issued), and is Healthy with no conditions
 * at all as soon as listeners are listed.
 */
export function evaluateGateway(obj: KubernetesObject): ResourceEvaluation {
  const ref = refOf(obj, { apiVersion: `${GATEWAY_API_GROUP}/v1`, kind: 'Gateway' });
  const generationIsBehind = behind(ref, obj);
  if (generationIsBehind) return generationIsBehind;

  const className = str(specOf(obj)?.['gatewayClassName']);
  const controller =
    className === undefined || className === ''
      ? 'its controller'
      : `the controller of GatewayClass "${className}"`;
  const status = unknownStatus(obj);
  const conditions = parseConditions(status?.['conditions']);
  const generation = obj.metadata?.generation;
  const get = conditionReader(conditions, generation);

  const listeners = parseListeners(status?.['listeners']).map((l) => listenerVerdict(l, generation));
  // The listener that is wrong (or waiting for its certificate) explains a Gateway rejected for its listeners
  // better than the Gateway's summary does.
  const listenerProblem = worstVerdict(listeners);
  const accepted = get('Accepted');
  if (accepted?.status === 'False' && !isNotYetReconciled(accepted.reason)) {
    if (accepted.reason === 'ListenersNotValid' && listenerProblem) return toEvaluation(ref, listenerProblem);
    return failed(ref, accepted.reason ?? 'NotAccepted', `not accepted: ${describeCondition(accepted)}`);
  }
  const programmed = get('Programmed');
  if (
    programmed?.status === 'False' &&
    programmed.reason !== undefined &&
    gatewayProgrammedFailed.has(programmed.reason)
  ) {
    if (programmed.reason === 'Invalid' && listenerProblem) return toEvaluation(ref, listenerProblem);
    return failed(ref, programmed.reason, `not programmed: ${describeCondition(programmed)}`);
  }
  if (listenerProblem?.state === ResourceState.Failed) return toEvaluation(ref, listenerProblem);

  if (programmed?.status !== 'True') {
    const stale = staleDetail(conditions, ['Programmed', 'Accepted'], generation, controller);
    if (stale) return progressing(ref, 'StaleConditions', stale);
    if (accepted?.status !== 'True') {
      const quoted = accepted ? `: ${describeCondition(accepted)}` : '';
      return progressing(
        ref,
        accepted?.reason ?? 'Pending',
        `waiting for ${controller} to accept it${quoted}`,
      );
    }
    const quoted = programmed ? `: ${describeCondition(programmed)}` : '';
    return progressing(
      ref,
      programmed?.reason ?? 'NotProgrammed',
      `waiting for the Gateway to be programmed${quoted}`,
    );
  }

  if (listenerProblem) return toEvaluation(ref, listenerProblem);
  const refs = get('ResolvedRefs');
  if (refs?.status === 'False') {
    return toEvaluation(ref, refsVerdict(refs, gatewayRefs, `programmed, but ${describeCondition(refs)}`));
  }
  return ready(ref, 'Programmed', `programmed ${gatewayAddresses(status)}`);
}

// --- GatewayClass --------------------------------------------------------------------------------------------

/**
 * GatewayClass: Accepted=True (current generation) → Ready; Accepted=False other than Pending/Waiting
 * (Invalid, InvalidParameters, UnsupportedVersion) → Failed; otherwise Progressing, naming
 * spec.controllerName (no controller of that name installed is the usual cause). Accepted with
 * SupportedVersion=False (best-effort support of the installed CRDs) stays Ready and says so.
 *
 * Ports Argo CD's check, adding the controller's name and the SupportedVersion note:
 *   https://github.com/argoproj/argo-cd/blob/master/resource_customizations/gateway.networking.k8s.io/GatewayClass/health.lua
 * which is Degraded on Accepted=False whatever the reason, including the deprecated `Waiting`.
 */
export function evaluateGatewayClass(obj: KubernetesObject): ResourceEvaluation {
  const ref = refOf(obj, { apiVersion: `${GATEWAY_API_GROUP}/v1`, kind: 'GatewayClass' });
  const generationIsBehind = behind(ref, obj);
  if (generationIsBehind) return generationIsBehind;

  const controllerName = str(specOf(obj)?.['controllerName']);
  const controller = controllerName ? `controller "${controllerName}"` : 'its controller';
  const conditions = parseConditions(unknownStatus(obj)?.['conditions']);
  const generation = obj.metadata?.generation;
  const get = conditionReader(conditions, generation);

  const accepted = get('Accepted');
  if (accepted?.status === 'True') {
    const version = get('SupportedVersion');
    const note = version?.status === 'False' ? ` (best effort: ${describeCondition(version)})` : '';
    return ready(ref, accepted.reason ?? 'Accepted', `accepted by ${controller}${note}`);
  }
  if (accepted?.status === 'False' && !isNotYetReconciled(accepted.reason)) {
    return failed(
      ref,
      accepted.reason ?? 'NotAccepted',
      `not accepted by ${controller}: ${describeCondition(accepted)}`,
    );
  }
  const stale = staleDetail(conditions, ['Accepted'], generation, controller);
  if (stale) return progressing(ref, 'StaleConditions', stale);
  const quoted = accepted ? `: ${describeCondition(accepted)}` : '';
  return progressing(ref, accepted?.reason ?? 'Pending', `waiting for ${controller} to accept it${quoted}`);
}

// --- BackendTLSPolicy ----------------------------------------------------------------------------------------

/**
 * `Accepted=False` reasons of a policy ancestor that wait: `TargetNotFound` (the target Service may be applied
 * later; every conformant implementation also writes it for Services it does not manage).
 */
const policyAcceptedWaiting: ReadonlySet<string> = new Set(['TargetNotFound']);

/**
 * BackendTLSPolicy: judged per ancestor (status.ancestors[], usually the Gateways that route to its target) like
 * a route's parents: Accepted=False (Conflicted, Invalid) or ResolvedRefs=False/InvalidKind → Failed;
 * ResolvedRefs=False/InvalidCACertificateRef (the CA ConfigMap may come later) and TargetNotFound → Progressing;
 * stale conditions → Progressing. A TargetNotFound entry is ignored when another ancestor accepted the policy
 * (it comes from an implementation that does not manage the target).
 * No ancestors: no Gateway uses its target (yet), and none may ever; Ready, as the generic rule said before,
 * with a message saying so.
 *
 * Improves on Argo CD's check
 *   https://github.com/argoproj/argo-cd/blob/master/resource_customizations/gateway.networking.k8s.io/BackendTLSPolicy/health.lua
 * which is Degraded on any Accepted or ResolvedRefs other than True, including a CA ConfigMap applied a moment
 * later, and Progressing forever when no Gateway uses the target.
 */
export function evaluateBackendTLSPolicy(obj: KubernetesObject): ResourceEvaluation {
  const ref = refOf(obj, { apiVersion: `${GATEWAY_API_GROUP}/v1`, kind: 'BackendTLSPolicy' });
  const generationIsBehind = behind(ref, obj);
  if (generationIsBehind) return generationIsBehind;

  const entries = parseStatusEntries(
    unknownStatus(obj)?.['ancestors'],
    'ancestorRef',
    obj.metadata?.namespace ?? '',
  );
  if (entries.length === 0) {
    return ready(ref, 'NoAncestors', 'exists; no Gateway has reported using it (status.ancestors is empty)');
  }
  const generation = obj.metadata?.generation;
  const verdicts = entries.map((e) =>
    entryVerdict(e, generation, backendTLSPolicyRefs, policyAcceptedWaiting),
  );
  const acceptedSomewhere = verdicts.some((v) => v.state === ResourceState.Ready);
  const worst = worstVerdict(
    verdicts.filter((v) => !(acceptedSomewhere && policyAcceptedWaiting.has(v.reason))),
  );
  if (worst) return toEvaluation(ref, worst);
  const accepted = entries.filter((_, i) => verdicts[i]?.state === ResourceState.Ready);
  return ready(ref, 'Accepted', `accepted by ${accepted.map((e) => describeParent(e.parent)).join(', ')}`);
}
