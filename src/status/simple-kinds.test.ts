import type {
  V1APIService,
  V1CustomResourceDefinition,
  V1Ingress,
  V1Namespace,
  V1PersistentVolumeClaim,
  V1Service,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { evaluateAPIService } from './apiservice.js';
import { evaluateCustomResourceDefinition } from './crd.js';
import { edited, fixture } from './testing/fixtures.js';
import { evaluateIngress } from './ingress.js';
import { evaluateNamespace } from './namespace.js';
import { evaluatePersistentVolumeClaim } from './pvc.js';
import { evaluateService } from './service.js';

describe('evaluatePersistentVolumeClaim', () => {
  const load = (name: string) => fixture(`pvc/${name}`).object as V1PersistentVolumeClaim;
  it('is Ready when Bound, Progressing when Pending, Failed when Lost', () => {
    expect(evaluatePersistentVolumeClaim(load('bound')).state).toBe('Ready');
    expect(evaluatePersistentVolumeClaim(load('pending')).state).toBe('Progressing');
    expect(evaluatePersistentVolumeClaim(load('lost'))).toMatchObject({
      state: 'Failed',
      reason: 'ClaimLost',
    });
  });
});

describe('evaluateService', () => {
  const load = (name: string) => fixture(`service/${name}`).object as V1Service;
  it('is Ready on existence unless it is a LoadBalancer', () => {
    expect(evaluateService(load('cluster-ip')).state).toBe('Ready');
    expect(evaluateService(load('external-name')).state).toBe('Ready');
  });
  it('waits for a LoadBalancer address (IP or hostname)', () => {
    expect(evaluateService(load('load-balancer-pending')).state).toBe('Progressing');
    expect(evaluateService(load('load-balancer-ip')).message).toBe(
      'Service monitoring/grafana: load balancer at 172.18.255.200',
    );
    expect(evaluateService(load('load-balancer-hostname')).state).toBe('Ready');
  });
  it('unlike Helm, does not accept externalIPs in place of a load balancer address', () => {
    const withExternalIPs = edited(load('load-balancer-pending'), (svc) => {
      if (svc.spec) svc.spec.externalIPs = ['192.0.2.10'];
    });
    expect(evaluateService(withExternalIPs).state).toBe('Progressing');
  });
});

describe('evaluateIngress', () => {
  const load = (name: string) => fixture(`ingress/${name}`).object as V1Ingress;
  it('waits for its ingress controller to publish an address', () => {
    expect(evaluateIngress(load('no-address')).message).toBe(
      'Ingress monitoring/grafana: waiting for the "nginx" ingress controller to assign an address',
    );
    expect(evaluateIngress(load('with-address')).state).toBe('Ready');
  });
});

describe('evaluateCustomResourceDefinition', () => {
  const load = (name: string) => fixture(`crd/${name}`).object as V1CustomResourceDefinition;
  it('is Ready when Established, Progressing while installing', () => {
    expect(evaluateCustomResourceDefinition(load('established')).state).toBe('Ready');
    expect(evaluateCustomResourceDefinition(load('installing')).state).toBe('Progressing');
  });
  it('unlike Helm, is Failed when its names are not accepted', () => {
    expect(evaluateCustomResourceDefinition(load('names-not-accepted'))).toEqual({
      state: 'Failed',
      reason: 'ListKindConflict',
      message:
        'CustomResourceDefinition certificates.cert-manager.io: ListKindConflict: "CertificateList" is already in use',
    });
  });
  it('is Progressing before the API server wrote any condition', () => {
    const crd = edited(load('installing'), (c) => {
      delete c.status;
    });
    expect(evaluateCustomResourceDefinition(crd).state).toBe('Progressing');
  });
});

describe('evaluateAPIService', () => {
  const load = (name: string) => fixture(`apiservice/${name}`).object as V1APIService;
  it('is Ready when Available, Progressing with the aggregator reason otherwise', () => {
    expect(evaluateAPIService(load('available')).state).toBe('Ready');
    expect(evaluateAPIService(load('missing-endpoints'))).toMatchObject({
      state: 'Progressing',
      reason: 'MissingEndpoints',
    });
  });
});

describe('evaluateNamespace', () => {
  const load = (name: string) => fixture(`namespace/${name}`).object as V1Namespace;
  it('is Ready when Active', () => {
    expect(evaluateNamespace(load('active')).message).toBe('Namespace monitoring: active');
  });
  it('is Terminating, naming what still blocks deletion', () => {
    expect(evaluateNamespace(load('terminating'))).toEqual({
      state: 'Terminating',
      reason: 'Terminating',
      message:
        'Namespace monitoring: being deleted: SomeResourcesRemain: Some resources are remaining: pods. has 2 resource instances',
    });
  });
});
