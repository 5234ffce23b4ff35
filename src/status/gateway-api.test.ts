import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { evaluateResource, hasSpecificRule } from './evaluate.js';
import {
  evaluateBackendTLSPolicy,
  evaluateGateway,
  evaluateGatewayClass,
  evaluateGatewayRoute,
  gatewayRouteKinds,
} from './gateway-api.js';
import { refOf } from '../shared/refs.js';
import type { ResourceEvaluation } from './resource-state.js';

// Hand-made objects in the shape the API server returns them (metav1.Condition with observedGeneration).

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** A condition written for generation 1 (the objects below are at generation 1 unless a test says otherwise). */
function c(type: string, status: Condition['status'], reason: string, message = '', og = 1): Condition {
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: og,
    lastTransitionTime: '2026-11-20T10:00:00Z',
  };
}

/** The status the CRDs default to: what a Gateway looks like before any controller touched it. */
const crdDefault = (...types: string[]): Condition[] =>
  types.map((type) => ({
    type,
    status: 'Unknown',
    reason: 'Pending',
    message: 'Waiting for controller',
    lastTransitionTime: '1970-01-01T00:00:00Z',
  }));

const programmed = [
  c('Accepted', 'True', 'Accepted', 'Gateway is accepted'),
  c('Programmed', 'True', 'Programmed', 'Gateway is programmed'),
];

function gateway(
  status: Record<string, unknown> | undefined,
  { generation = 1, className = 'cilium', apiVersion = 'gateway.networking.k8s.io/v1' } = {},
): Obj {
  return {
    apiVersion,
    kind: 'Gateway',
    metadata: { name: 'main', namespace: 'infra', generation },
    spec: {
      gatewayClassName: className,
      listeners: [{ name: 'https', port: 443, protocol: 'HTTPS' }],
    },
    ...(status === undefined ? {} : { status }),
  };
}

function listener(name: string, ...conditions: Condition[]) {
  return { name, attachedRoutes: 1, supportedKinds: [{ kind: 'HTTPRoute' }], conditions };
}

const okListener = (name: string) =>
  listener(
    name,
    c('Accepted', 'True', 'Accepted'),
    c('ResolvedRefs', 'True', 'ResolvedRefs'),
    c('Programmed', 'True', 'Programmed'),
  );

describe('evaluateGateway', () => {
  it.each<[string, Obj, Partial<ResourceEvaluation>]>([
    [
      'no status yet: names the GatewayClass whose controller has not acted',
      gateway(undefined),
      {
        state: 'Progressing',
        reason: 'Pending',
        message: 'Gateway infra/main: waiting for the controller of GatewayClass "cilium" to accept it',
      },
    ],
    [
      "the CRD's default status (Accepted and Programmed Unknown/Pending)",
      gateway({ conditions: crdDefault('Accepted', 'Programmed') }),
      {
        state: 'Progressing',
        reason: 'Pending',
        message:
          'Gateway infra/main: waiting for the controller of GatewayClass "cilium" to accept it: Pending: Waiting for controller',
      },
    ],
    [
      'accepted, Programmed still Unknown/Pending',
      gateway({
        conditions: [c('Accepted', 'True', 'Accepted'), ...crdDefault('Programmed')],
      }),
      {
        state: 'Progressing',
        reason: 'Pending',
        message:
          'Gateway infra/main: waiting for the Gateway to be programmed: Pending: Waiting for controller',
      },
    ],
    [
      'accepted, Programmed=False NoResources',
      gateway({
        conditions: [
          c('Accepted', 'True', 'Accepted'),
          c(
            'Programmed',
            'False',
            'NoResources',
            'Deployment infra/cilium-gateway-main has 0/1 ready replicas',
          ),
        ],
      }),
      {
        state: 'Progressing',
        reason: 'NoResources',
        message:
          'Gateway infra/main: waiting for the Gateway to be programmed: NoResources: Deployment infra/cilium-gateway-main has 0/1 ready replicas',
      },
    ],
    [
      'accepted, Programmed=False AddressNotAssigned (load balancer pending)',
      gateway({
        conditions: [
          c('Accepted', 'True', 'Accepted'),
          c('Programmed', 'False', 'AddressNotAssigned', 'No addresses have been assigned to the Gateway'),
        ],
      }),
      { state: 'Progressing', reason: 'AddressNotAssigned' },
    ],
    [
      'accepted, Programmed=False with a reason of its own',
      gateway({
        conditions: [c('Accepted', 'True', 'Accepted'), c('Programmed', 'False', 'Reconciling', '')],
      }),
      { state: 'Progressing', reason: 'Reconciling' },
    ],
    [
      'Programmed=True with addresses',
      gateway({
        conditions: programmed,
        addresses: [
          { type: 'IPAddress', value: '172.18.255.200' },
          { type: 'Hostname', value: 'gw.example.com' },
        ],
        listeners: [okListener('https')],
      }),
      {
        state: 'Ready',
        reason: 'Programmed',
        message: 'Gateway infra/main: programmed at 172.18.255.200, gw.example.com',
      },
    ],
    [
      'Programmed=True without an address',
      gateway({ conditions: programmed }),
      { state: 'Ready', message: 'Gateway infra/main: programmed (no address reported)' },
    ],
    [
      'Programmed=True when the controller does not set Accepted (Accepted is not False)',
      gateway({ conditions: [c('Programmed', 'True', 'Programmed')] }),
      { state: 'Ready' },
    ],
    [
      'Cilium: Accepted=False UnsupportedAddress',
      gateway({
        conditions: [
          c('Accepted', 'False', 'UnsupportedAddress', 'Only IPAddress type is supported for spec.addresses'),
          c('Programmed', 'Unknown', 'Pending', 'Waiting for controller'),
        ],
      }),
      {
        state: 'Failed',
        reason: 'UnsupportedAddress',
        message:
          'Gateway infra/main: not accepted: UnsupportedAddress: Only IPAddress type is supported for spec.addresses',
      },
    ],
    [
      'Istio: Programmed=False AddressNotUsable',
      gateway({
        conditions: [
          c('Accepted', 'True', 'Accepted', 'Resource accepted'),
          c(
            'Programmed',
            'False',
            'AddressNotUsable',
            'Failed to assign to any requested addresses: hostname "ingress.example.com" not found',
          ),
        ],
      }),
      {
        state: 'Failed',
        reason: 'AddressNotUsable',
        message:
          'Gateway infra/main: not programmed: AddressNotUsable: Failed to assign to any requested addresses: hostname "ingress.example.com" not found',
      },
    ],
    [
      'Programmed=False Invalid',
      gateway({
        conditions: [
          c('Accepted', 'True', 'Accepted'),
          c('Programmed', 'False', 'Invalid', 'bad TLS options'),
        ],
      }),
      {
        state: 'Failed',
        reason: 'Invalid',
        message: 'Gateway infra/main: not programmed: Invalid: bad TLS options',
      },
    ],
    [
      'Accepted=False with Pending is not a verdict',
      gateway({ conditions: [c('Accepted', 'False', 'Pending', 'Waiting for controller')] }),
      { state: 'Progressing', reason: 'Pending' },
    ],
    [
      'Accepted=False with the deprecated NotReconciled is not a verdict',
      gateway({ conditions: [c('Accepted', 'False', 'NotReconciled', '')] }),
      { state: 'Progressing', reason: 'NotReconciled' },
    ],
    [
      'differs from Argo CD: conditions written for an older generation count as not yet updated',
      gateway({ conditions: programmed }, { generation: 2 }),
      {
        state: 'Progressing',
        reason: 'StaleConditions',
        message:
          'Gateway infra/main: waiting for the controller of GatewayClass "cilium" to observe generation 2 (Programmed is from generation 1)',
      },
    ],
    [
      'a rejection written for an older generation is not a failure of the current spec',
      gateway(
        {
          conditions: [
            c('Accepted', 'False', 'Invalid', 'listener https has no certificateRefs'),
            c('Programmed', 'False', 'Invalid', ''),
          ],
        },
        { generation: 2 },
      ),
      { state: 'Progressing', reason: 'StaleConditions' },
    ],
    [
      'status.observedGeneration behind, for implementations that report one',
      gateway({ observedGeneration: 1, conditions: programmed }, { generation: 2 }),
      { state: 'Progressing', reason: 'LatestGenerationNotObserved' },
    ],
  ])('%s', (_name, obj, expected) => {
    expect(evaluateGateway(obj)).toMatchObject(expected);
  });

  it.each(['Invalid', 'InvalidParameters', 'UnsupportedAddress', 'ListenersNotValid', 'SomethingElse'])(
    'is Failed on Accepted=False %s, quoting the condition',
    (reason) => {
      const obj = gateway({ conditions: [c('Accepted', 'False', reason, 'details')] });
      expect(evaluateGateway(obj)).toEqual({
        state: 'Failed',
        reason,
        message: `Gateway infra/main: not accepted: ${reason}: details`,
      });
    },
  );

  describe('listeners', () => {
    const withListeners = (...listeners: unknown[]) =>
      gateway({
        conditions: [
          c('Accepted', 'True', 'ListenersNotValid', 'Some listeners are invalid'),
          c('Programmed', 'True', 'Programmed'),
        ],
        listeners,
      });

    it.each<[string, unknown, Partial<ResourceEvaluation>]>([
      [
        'a listener not accepted (PortUnavailable)',
        listener(
          'tcp',
          c('Accepted', 'False', 'PortUnavailable', 'port 22 is already in use'),
          c('Programmed', 'False', 'Invalid', ''),
        ),
        {
          state: 'Failed',
          reason: 'PortUnavailable',
          message:
            'Gateway infra/main: listener "tcp" not accepted: PortUnavailable: port 22 is already in use',
        },
      ],
      [
        'a conflicted listener',
        listener('https', c('Conflicted', 'True', 'HostnameConflict', 'hostname overlaps listener "web"')),
        { state: 'Failed', reason: 'HostnameConflict' },
      ],
      [
        'a listener with an invalid route kind',
        listener('https', c('ResolvedRefs', 'False', 'InvalidRouteKinds', 'TCPRoute is not supported')),
        { state: 'Failed', reason: 'InvalidRouteKinds' },
      ],
      [
        'differs from Argo CD: a listener waiting for its certificate Secret (Envoy Gateway style)',
        listener(
          'https',
          c('Accepted', 'True', 'Accepted'),
          c('ResolvedRefs', 'False', 'InvalidCertificateRef', 'Secret infra/main-tls does not exist.'),
          c('Programmed', 'False', 'Invalid', 'Listener is invalid, see other Conditions for details.'),
        ),
        {
          state: 'Progressing',
          reason: 'InvalidCertificateRef',
          message:
            'Gateway infra/main: listener "https": InvalidCertificateRef: Secret infra/main-tls does not exist.',
        },
      ],
      [
        'a listener waiting for its certificate Secret (NGINX Gateway Fabric style: Accepted=False too)',
        listener(
          'https',
          c('Accepted', 'False', 'InvalidCertificateRef', 'secret does not exist'),
          c('ResolvedRefs', 'False', 'InvalidCertificateRef', 'secret does not exist'),
          c('Programmed', 'False', 'Invalid', 'secret does not exist'),
        ),
        { state: 'Progressing', reason: 'InvalidCertificateRef' },
      ],
      [
        'a listener not yet programmed',
        listener(
          'https',
          c('Accepted', 'True', 'Accepted'),
          c('Programmed', 'False', 'Pending', 'data plane not ready'),
        ),
        {
          state: 'Progressing',
          reason: 'Pending',
          message: 'Gateway infra/main: listener "https" not yet programmed: Pending: data plane not ready',
        },
      ],
      [
        'a listener whose rejection is from an older generation',
        listener('https', c('Accepted', 'False', 'PortUnavailable', 'in use', 0)),
        { state: 'Ready' },
      ],
    ])('%s', (_name, l, expected) => {
      expect(evaluateGateway(withListeners(okListener('http'), l))).toMatchObject(expected);
    });

    it('explains Accepted=False ListenersNotValid by the listener, which may only be waiting for a certificate', () => {
      const obj = gateway({
        conditions: [
          c('Accepted', 'False', 'ListenersNotValid', 'No valid listeners'),
          c('Programmed', 'False', 'Invalid', 'No valid listeners'),
        ],
        listeners: [
          listener(
            'https',
            c('ResolvedRefs', 'False', 'InvalidCertificateRef', 'Secret infra/main-tls does not exist.'),
            c('Programmed', 'False', 'Invalid', ''),
          ),
        ],
      });
      expect(evaluateGateway(obj)).toMatchObject({ state: 'Progressing', reason: 'InvalidCertificateRef' });
    });
  });
});

describe('evaluateGatewayClass', () => {
  const gatewayClass = (conditions: Condition[] | undefined, generation = 1): Obj => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: 'cilium', generation },
    spec: { controllerName: 'io.cilium/gateway-controller' },
    ...(conditions === undefined ? {} : { status: { conditions } }),
  });

  it.each<[string, Obj, Partial<ResourceEvaluation>]>([
    [
      'accepted',
      gatewayClass([c('Accepted', 'True', 'Accepted', 'Valid GatewayClass')]),
      {
        state: 'Ready',
        reason: 'Accepted',
        message: 'GatewayClass cilium: accepted by controller "io.cilium/gateway-controller"',
      },
    ],
    [
      'accepted with best-effort support of the installed CRDs',
      gatewayClass([
        c('Accepted', 'True', 'Accepted'),
        c('SupportedVersion', 'False', 'UnsupportedVersion', 'CRD bundle v1.6.0 is newer than v1.4'),
      ]),
      {
        state: 'Ready',
        message:
          'GatewayClass cilium: accepted by controller "io.cilium/gateway-controller" (best effort: UnsupportedVersion: CRD bundle v1.6.0 is newer than v1.4)',
      },
    ],
    [
      "the CRD's default status: no controller has acted",
      gatewayClass(crdDefault('Accepted')),
      {
        state: 'Progressing',
        reason: 'Pending',
        message:
          'GatewayClass cilium: waiting for controller "io.cilium/gateway-controller" to accept it: Pending: Waiting for controller',
      },
    ],
    [
      'no status at all',
      gatewayClass(undefined),
      {
        state: 'Progressing',
        message: 'GatewayClass cilium: waiting for controller "io.cilium/gateway-controller" to accept it',
      },
    ],
    [
      'Accepted=False with the deprecated Waiting is not a verdict',
      gatewayClass([c('Accepted', 'False', 'Waiting', 'Waiting for controller')]),
      { state: 'Progressing', reason: 'Waiting' },
    ],
    [
      'Accepted=True for an older generation',
      gatewayClass([c('Accepted', 'True', 'Accepted')], 2),
      {
        state: 'Progressing',
        reason: 'StaleConditions',
        message:
          'GatewayClass cilium: waiting for controller "io.cilium/gateway-controller" to observe generation 2 (Accepted is from generation 1)',
      },
    ],
  ])('%s', (_name, obj, expected) => {
    expect(evaluateGatewayClass(obj)).toMatchObject(expected);
  });

  it.each(['InvalidParameters', 'Unsupported', 'UnsupportedVersion', 'Invalid'])(
    'is Failed on Accepted=False %s',
    (reason) => {
      expect(evaluateGatewayClass(gatewayClass([c('Accepted', 'False', reason, 'details')]))).toEqual({
        state: 'Failed',
        reason,
        message: `GatewayClass cilium: not accepted by controller "io.cilium/gateway-controller": ${reason}: details`,
      });
    },
  );
});

describe('evaluateGatewayRoute', () => {
  const gw = (name: string, extra: Record<string, unknown> = {}) => ({
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    namespace: 'infra',
    name,
    ...extra,
  });
  const parent = (parentRef: Record<string, unknown>, ...conditions: Condition[]) => ({
    parentRef,
    controllerName: 'io.cilium/gateway-controller',
    conditions,
  });
  const accepted = [
    c('Accepted', 'True', 'Accepted', 'Accepted HTTPRoute'),
    c('ResolvedRefs', 'True', 'ResolvedRefs'),
  ];
  function route(
    parentRefs: Record<string, unknown>[] | undefined,
    parents: unknown[] | undefined,
    {
      generation = 1,
      kind = 'HTTPRoute',
      spec = {},
    }: { generation?: number; kind?: string; spec?: Record<string, unknown> } = {},
  ): Obj {
    return {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind,
      metadata: { name: 'web', namespace: 'apps', generation },
      spec: { ...(parentRefs === undefined ? {} : { parentRefs }), rules: [], ...spec },
      ...(parents === undefined ? {} : { status: { parents } }),
    };
  }
  const evaluate = (obj: Obj) => evaluateGatewayRoute(obj, 'HTTPRoute');

  it.each<[string, Obj, Partial<ResourceEvaluation>]>([
    [
      'no parent status yet',
      route([{ name: 'main', namespace: 'infra' }], undefined),
      {
        state: 'Progressing',
        reason: 'NotAccepted',
        message: 'HTTPRoute apps/web: not yet accepted by any parent (Gateway infra/main)',
      },
    ],
    [
      'an empty parents list (no Gateway has attached it)',
      route([{ name: 'main', namespace: 'infra' }, { name: 'edge' }], []),
      {
        state: 'Progressing',
        message: 'HTTPRoute apps/web: not yet accepted by any parent (Gateway infra/main, Gateway apps/edge)',
      },
    ],
    [
      'accepted with references resolved',
      route([{ name: 'main', namespace: 'infra' }], [parent(gw('main'), ...accepted)]),
      { state: 'Ready', reason: 'Accepted', message: 'HTTPRoute apps/web: accepted by Gateway infra/main' },
    ],
    [
      'a parentRef with defaults left out matches the status echo with them filled in',
      route(
        [{ name: 'main', sectionName: 'https' }],
        [parent(gw('main', { namespace: 'apps', sectionName: 'https' }), ...accepted)],
      ),
      { state: 'Ready', message: 'HTTPRoute apps/web: accepted by Gateway apps/main (https)' },
    ],
    [
      'accepted, no ResolvedRefs reported',
      route([{ name: 'main', namespace: 'infra' }], [parent(gw('main'), c('Accepted', 'True', 'Accepted'))]),
      { state: 'Ready' },
    ],
    [
      'Accepted Unknown/Pending',
      route(
        [{ name: 'main', namespace: 'infra' }],
        [parent(gw('main'), c('Accepted', 'Unknown', 'Pending', 'Waiting for controller'))],
      ),
      {
        state: 'Progressing',
        reason: 'Pending',
        message:
          'HTTPRoute apps/web: waiting for Gateway infra/main to accept it: Pending: Waiting for controller',
      },
    ],
    [
      'differs from Argo CD: ResolvedRefs=False BackendNotFound waits for the Service (the pack timeout decides)',
      route(
        [{ name: 'main', namespace: 'infra' }],
        [
          parent(
            gw('main'),
            c('Accepted', 'True', 'Accepted'),
            c('ResolvedRefs', 'False', 'BackendNotFound', 'Service apps/web not found'),
          ),
        ],
      ),
      {
        state: 'Progressing',
        reason: 'BackendNotFound',
        message: 'HTTPRoute apps/web: Gateway infra/main: BackendNotFound: Service apps/web not found',
      },
    ],
    [
      'ResolvedRefs=False RefNotPermitted waits for a ReferenceGrant',
      route(
        [{ name: 'main', namespace: 'infra' }],
        [
          parent(
            gw('main'),
            c('Accepted', 'True', 'Accepted'),
            c(
              'ResolvedRefs',
              'False',
              'RefNotPermitted',
              'backendRef to Service db/pg is not permitted by any ReferenceGrant',
            ),
          ),
        ],
      ),
      { state: 'Progressing', reason: 'RefNotPermitted' },
    ],
    [
      'ResolvedRefs=False InvalidKind',
      route(
        [{ name: 'main', namespace: 'infra' }],
        [
          parent(
            gw('main'),
            c('Accepted', 'True', 'Accepted'),
            c('ResolvedRefs', 'False', 'InvalidKind', 'ConfigMap is not a backend'),
          ),
        ],
      ),
      {
        state: 'Failed',
        reason: 'InvalidKind',
        message: 'HTTPRoute apps/web: Gateway infra/main: InvalidKind: ConfigMap is not a backend',
      },
    ],
    [
      'ResolvedRefs=False UnsupportedProtocol',
      route(
        [{ name: 'main', namespace: 'infra' }],
        [
          parent(
            gw('main'),
            c('Accepted', 'True', 'Accepted'),
            c('ResolvedRefs', 'False', 'UnsupportedProtocol', 'appProtocol kubernetes.io/ws'),
          ),
        ],
      ),
      { state: 'Failed', reason: 'UnsupportedProtocol' },
    ],
    [
      'differs from Argo CD: PartiallyInvalid=True (the controller dropped rules) is Failed',
      route(
        [{ name: 'main', namespace: 'infra' }],
        [
          parent(
            gw('main'),
            c('Accepted', 'True', 'Accepted'),
            c('PartiallyInvalid', 'True', 'UnsupportedValue', 'Dropped Rule 1: unsupported filter type'),
          ),
        ],
      ),
      {
        state: 'Failed',
        reason: 'UnsupportedValue',
        message:
          'HTTPRoute apps/web: partially invalid for Gateway infra/main: UnsupportedValue: Dropped Rule 1: unsupported filter type',
      },
    ],
    [
      'two parents, one accepts and one rejects: Failed, naming the one that rejects',
      route(
        [
          { name: 'public', namespace: 'infra' },
          { name: 'internal', namespace: 'infra' },
        ],
        [
          parent(gw('public'), ...accepted),
          parent(
            gw('internal'),
            c('Accepted', 'False', 'NotAllowedByListeners', 'No listener allows routes from namespace apps'),
          ),
        ],
      ),
      {
        state: 'Failed',
        reason: 'NotAllowedByListeners',
        message:
          'HTTPRoute apps/web: not accepted by Gateway infra/internal: NotAllowedByListeners: No listener allows routes from namespace apps',
      },
    ],
    [
      'differs from Argo CD: two parents, one accepted and one without a status entry yet',
      route(
        [
          { name: 'public', namespace: 'infra' },
          { name: 'internal', namespace: 'infra' },
        ],
        [parent(gw('public'), ...accepted)],
      ),
      {
        state: 'Progressing',
        reason: 'NotAccepted',
        message:
          'HTTPRoute apps/web: not yet accepted by Gateway infra/internal (accepted by Gateway infra/public)',
      },
    ],
    [
      'two parents, both accepted',
      route(
        [
          { name: 'public', namespace: 'infra' },
          { name: 'internal', namespace: 'infra' },
        ],
        [parent(gw('internal'), ...accepted), parent(gw('public'), ...accepted)],
      ),
      {
        state: 'Ready',
        message: 'HTTPRoute apps/web: accepted by Gateway infra/public, Gateway infra/internal',
      },
    ],
    [
      'Accepted for an older generation counts as not yet updated',
      route(
        [{ name: 'main', namespace: 'infra' }],
        [parent(gw('main'), c('Accepted', 'True', 'Accepted', '', 2))],
        {
          generation: 3,
        },
      ),
      {
        state: 'Progressing',
        reason: 'StaleConditions',
        message:
          'HTTPRoute apps/web: waiting for Gateway infra/main to observe generation 3 (Accepted is from generation 2)',
      },
    ],
    [
      'a rejection for an older generation is not a failure of the current spec',
      route(
        [{ name: 'main', namespace: 'infra' }],
        [
          parent(
            gw('main'),
            c('Accepted', 'False', 'NoMatchingListenerHostname', 'no listener for a.example.com', 2),
          ),
        ],
        { generation: 3 },
      ),
      { state: 'Progressing', reason: 'StaleConditions' },
    ],
    [
      'a leftover entry for a parent the spec no longer names is ignored',
      route(
        [{ name: 'main', namespace: 'infra' }],
        [
          parent(gw('old'), c('Accepted', 'False', 'NotAllowedByListeners', '')),
          parent(gw('main'), ...accepted),
        ],
      ),
      { state: 'Ready', message: 'HTTPRoute apps/web: accepted by Gateway infra/main' },
    ],
    [
      'a mesh (GAMMA) route whose parent is a Service',
      route(
        [{ group: '', kind: 'Service', name: 'api', port: 8080 }],
        [parent({ group: '', kind: 'Service', namespace: 'apps', name: 'api', port: 8080 }, ...accepted)],
      ),
      { state: 'Ready', message: 'HTTPRoute apps/web: accepted by Service apps/api (port 8080)' },
    ],
    [
      'no parentRefs: attached to nothing, and nothing will change',
      route(undefined, undefined),
      { state: 'Ready', reason: 'NoParents' },
    ],
    [
      'no parentRefs but useDefaultGateways: waits for a default Gateway',
      route(undefined, undefined, { spec: { useDefaultGateways: 'All' } }),
      {
        state: 'Progressing',
        message: 'HTTPRoute apps/web: not yet accepted by any parent (a default Gateway)',
      },
    ],
    [
      'no parentRefs, accepted by a default Gateway',
      route(undefined, [parent(gw('default'), ...accepted)], { spec: { useDefaultGateways: 'All' } }),
      { state: 'Ready', message: 'HTTPRoute apps/web: accepted by Gateway infra/default' },
    ],
  ])('%s', (_name, obj, expected) => {
    expect(evaluate(obj)).toMatchObject(expected);
  });

  it.each([
    'NotAllowedByListeners',
    'NoMatchingParent',
    'NoMatchingListenerHostname',
    'UnsupportedValue',
    'IncompatibleFilters',
  ])('is Failed when a parent rejects it with %s', (reason) => {
    const obj = route(
      [{ name: 'main', namespace: 'infra' }],
      [parent(gw('main'), c('Accepted', 'False', reason, 'details'))],
    );
    expect(evaluate(obj)).toEqual({
      state: 'Failed',
      reason,
      message: `HTTPRoute apps/web: not accepted by Gateway infra/main: ${reason}: details`,
    });
  });

  it.each(gatewayRouteKinds)('judges a %s the same way, naming its kind', (kind) => {
    const obj = route([{ name: 'main', namespace: 'infra' }], undefined, { kind });
    expect(evaluateGatewayRoute(obj, kind).message).toBe(
      `${kind} apps/web: not yet accepted by any parent (Gateway infra/main)`,
    );
  });
});

describe('evaluateBackendTLSPolicy', () => {
  const ancestor = (name: string, controllerName: string, ...conditions: Condition[]) => ({
    ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name },
    controllerName,
    conditions,
  });
  const policy = (ancestors: unknown[] | undefined, generation = 1): Obj => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'BackendTLSPolicy',
    metadata: { name: 'api-tls', namespace: 'apps', generation },
    spec: {
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      validation: {
        caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'api-ca' }],
        hostname: 'api.apps',
      },
    },
    ...(ancestors === undefined ? {} : { status: { ancestors } }),
  });
  const envoy = 'gateway.envoyproxy.io/gatewayclass-controller';

  it.each<[string, Obj, Partial<ResourceEvaluation>]>([
    [
      'differs from Argo CD: no ancestors (no Gateway uses its target yet) is Ready',
      policy(undefined),
      {
        state: 'Ready',
        reason: 'NoAncestors',
        message:
          'BackendTLSPolicy apps/api-tls: exists; no Gateway has reported using it (status.ancestors is empty)',
      },
    ],
    [
      'accepted',
      policy([
        ancestor('main', envoy, c('Accepted', 'True', 'Accepted'), c('ResolvedRefs', 'True', 'ResolvedRefs')),
      ]),
      { state: 'Ready', message: 'BackendTLSPolicy apps/api-tls: accepted by Gateway infra/main' },
    ],
    [
      'Conflicted',
      policy([
        ancestor('main', envoy, c('Accepted', 'False', 'Conflicted', 'api-tls-old targets the same Service')),
      ]),
      {
        state: 'Failed',
        reason: 'Conflicted',
        message:
          'BackendTLSPolicy apps/api-tls: not accepted by Gateway infra/main: Conflicted: api-tls-old targets the same Service',
      },
    ],
    [
      'a CA reference of the wrong kind',
      policy([
        ancestor(
          'main',
          envoy,
          c('Accepted', 'False', 'NoValidCACertificate', 'Secret is not supported'),
          c('ResolvedRefs', 'False', 'InvalidKind', 'Secret is not supported'),
        ),
      ]),
      { state: 'Failed', reason: 'InvalidKind' },
    ],
    [
      'differs from Argo CD: a CA ConfigMap not there yet waits',
      policy([
        ancestor(
          'main',
          envoy,
          c('Accepted', 'False', 'NoValidCACertificate', 'ConfigMap apps/api-ca not found'),
          c('ResolvedRefs', 'False', 'InvalidCACertificateRef', 'ConfigMap apps/api-ca not found'),
        ),
      ]),
      {
        state: 'Progressing',
        reason: 'InvalidCACertificateRef',
        message:
          'BackendTLSPolicy apps/api-tls: Gateway infra/main: InvalidCACertificateRef: ConfigMap apps/api-ca not found',
      },
    ],
    [
      'TargetNotFound from an implementation that does not manage the target, beside one that accepted it',
      policy([
        ancestor(
          'other',
          'istio.io/gateway-controller',
          c('Accepted', 'False', 'TargetNotFound', 'Service apps/api not found'),
        ),
        ancestor('main', envoy, c('Accepted', 'True', 'Accepted')),
      ]),
      { state: 'Ready', message: 'BackendTLSPolicy apps/api-tls: accepted by Gateway infra/main' },
    ],
    [
      'TargetNotFound alone waits for the Service',
      policy([
        ancestor('main', envoy, c('Accepted', 'False', 'TargetNotFound', 'Service apps/api not found')),
      ]),
      { state: 'Progressing', reason: 'TargetNotFound' },
    ],
    [
      'accepted for an older generation',
      policy([ancestor('main', envoy, c('Accepted', 'True', 'Accepted'))], 2),
      { state: 'Progressing', reason: 'StaleConditions' },
    ],
  ])('%s', (_name, obj, expected) => {
    expect(evaluateBackendTLSPolicy(obj)).toMatchObject(expected);
  });
});

describe('evaluateResource dispatch for gateway.networking.k8s.io', () => {
  const pendingGateway = (apiVersion: string) =>
    gateway({ conditions: crdDefault('Accepted', 'Programmed') }, { apiVersion });

  it.each(['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'])(
    'routes a %s Gateway to the Gateway API rule, not the generic one',
    (apiVersion) => {
      const obj = pendingGateway(apiVersion);
      expect(evaluateResource(refOf(obj), obj)).toEqual(evaluateGateway(obj));
      expect(evaluateResource(refOf(obj), gateway({ conditions: programmed }, { apiVersion })).state).toBe(
        'Ready',
      );
    },
  );

  it.each([
    ['v1', 'Gateway'],
    ['v1beta1', 'Gateway'],
    ['v1', 'GatewayClass'],
    ['v1beta1', 'GatewayClass'],
    ['v1', 'HTTPRoute'],
    ['v1beta1', 'HTTPRoute'],
    ['v1', 'GRPCRoute'],
    ['v1alpha2', 'TLSRoute'],
    ['v1alpha2', 'TCPRoute'],
    ['v1alpha2', 'UDPRoute'],
    ['v1', 'BackendTLSPolicy'],
    ['v1alpha3', 'BackendTLSPolicy'],
  ])('has a rule of its own for %s %s', (version, kind) => {
    expect(hasSpecificRule({ apiVersion: `gateway.networking.k8s.io/${version}`, kind })).toBe(true);
  });

  it('routes a v1beta1 HTTPRoute to the route rule', () => {
    const obj: Obj = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'apps', generation: 1 },
      spec: { parentRefs: [{ name: 'main', namespace: 'infra' }] },
      status: { parents: [] },
    };
    expect(evaluateResource(refOf(obj), obj)).toEqual({
      state: 'Progressing',
      reason: 'NotAccepted',
      message: 'HTTPRoute apps/web: not yet accepted by any parent (Gateway infra/main)',
    });
  });

  it('evaluates a list item without apiVersion/kind by the ref the engine knows', () => {
    const item = gateway({ conditions: programmed });
    delete item.apiVersion;
    delete item.kind;
    const ref = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      namespace: 'infra',
      name: 'main',
    };
    expect(evaluateResource(ref, item).message).toBe('Gateway infra/main: programmed (no address reported)');
  });

  it('is Terminating for a Gateway being deleted, before its own rule', () => {
    const obj = gateway({ conditions: programmed });
    if (obj.metadata) {
      obj.metadata.deletionTimestamp = new Date('2026-11-20T10:00:00Z');
      obj.metadata.finalizers = ['gateway-exists-finalizer.gateway.networking.k8s.io'];
    }
    expect(evaluateResource(refOf(obj), obj).state).toBe('Terminating');
  });

  it('leaves ReferenceGrant (no status) to the generic rule: Ready once it exists', () => {
    const grant: Obj = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'allow-apps', namespace: 'db', generation: 1 },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps' }],
        to: [{ group: '', kind: 'Service' }],
      },
    };
    expect(hasSpecificRule(refOf(grant))).toBe(false);
    expect(evaluateResource(refOf(grant), grant)).toEqual({
      state: 'Ready',
      reason: 'Exists',
      message: 'ReferenceGrant db/allow-apps: exists',
    });
  });
});
