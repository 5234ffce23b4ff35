import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../profile/index.js';
import { KindScopes } from './kind-scopes.js';

const crd = (group: string, kind: string, scope: string): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.${group}` },
  spec: {
    group,
    scope,
    names: { kind, plural: `${kind.toLowerCase()}s` },
    versions: [{ name: 'v1', served: true }],
  },
});
const object = (apiVersion: string, kind: string): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x' },
});

describe('KindScopes', () => {
  it('knows built-in cluster-scoped kinds by name and every other kind as namespaced until told', () => {
    const scopes = new KindScopes();
    expect(scopes.isClusterScoped('rbac.authorization.k8s.io/v1', 'ClusterRole')).toBe(true);
    expect(scopes.isClusterScoped('cert-manager.io/v1', 'ClusterIssuer')).toBe(false);
  });

  it("learns a kind discovery does not serve yet from the pack's own CRD", async () => {
    const scopes = new KindScopes();
    const asked: string[] = [];
    await scopes.learn(
      [
        crd('example.com', 'Gizmo', 'Cluster'),
        crd('example.com', 'Widget', 'Namespaced'),
        object('example.com/v1', 'Gizmo'),
      ],
      {
        resourceFor: (apiVersion, kind) => {
          asked.push(kind);
          return Promise.reject(new Error('not served yet'));
        },
      },
    );
    expect(scopes.isClusterScoped('example.com/v1', 'Gizmo')).toBe(true);
    expect(scopes.isClusterScoped('example.com/v2', 'Gizmo')).toBe(true);
    expect(scopes.isClusterScoped('example.com/v1', 'Widget')).toBe(false);
    expect(asked.sort()).toEqual(['Gizmo', 'Widget']);
  });

  it("believes discovery over a pack's CRD that contradicts the cluster", async () => {
    const scopes = new KindScopes();
    const served = (namespaced: boolean) => ({
      resourceFor: (apiVersion: string, kind: string) =>
        Promise.resolve({ group: 'example.com', version: 'v1', kind, resource: 'gizmos', namespaced }),
    });
    // The cluster serves Gizmo namespaced; a pack's CRD says Cluster (its apply will be refused).
    await scopes.learn([crd('example.com', 'Gizmo', 'Cluster')], served(true));
    expect(scopes.isClusterScoped('example.com/v1', 'Gizmo')).toBe(false);
    // And once discovery answered, a later CRD text changes nothing.
    await scopes.learn(
      [crd('example.com', 'Gizmo', 'Cluster'), object('example.com/v1', 'Gizmo')],
      served(false),
    );
    expect(scopes.isClusterScoped('example.com/v1', 'Gizmo')).toBe(false);
  });

  it('asks discovery about other kinds written without a namespace, once per kind, and keeps the answer', async () => {
    const scopes = new KindScopes();
    const asked: string[] = [];
    const kube = {
      resourceFor: (apiVersion: string, kind: string) => {
        asked.push(kind);
        if (kind === 'Unknown') return Promise.reject(new Error('no kind Unknown is served'));
        return Promise.resolve({
          group: 'cert-manager.io',
          version: 'v1',
          kind,
          resource: `${kind.toLowerCase()}s`,
          namespaced: kind !== 'ClusterIssuer',
          statusSubresource: true,
        });
      },
    };
    await scopes.learn(
      [
        object('cert-manager.io/v1', 'ClusterIssuer'),
        object('cert-manager.io/v1', 'ClusterIssuer'),
        object('cert-manager.io/v1', 'Issuer'),
        object('example.com/v1', 'Unknown'),
        { ...object('example.com/v1', 'Placed'), metadata: { name: 'y', namespace: 'there' } },
        object('v1', 'Namespace'),
      ],
      kube,
    );
    expect(asked.sort()).toEqual(['ClusterIssuer', 'Issuer', 'Unknown']);
    expect(scopes.isClusterScoped('cert-manager.io/v1', 'ClusterIssuer')).toBe(true);
    expect(scopes.isClusterScoped('cert-manager.io/v1', 'Issuer')).toBe(false);
    expect(scopes.isClusterScoped('example.com/v1', 'Unknown')).toBe(false);

    asked.length = 0;
    await scopes.learn([object('cert-manager.io/v1', 'ClusterIssuer')], kube);
    expect(asked).toEqual([]);
  });

  it('answers a later pack whose kinds are all known, core group included, without asking discovery', async () => {
    const scopes = new KindScopes();
    const asked: string[] = [];
    const kube = {
      resourceFor: (apiVersion: string, kind: string) => {
        asked.push(`${apiVersion} ${kind}`);
        return Promise.resolve({ group: '', version: 'v1', kind, resource: 'configmaps', namespaced: true });
      },
    };
    await scopes.learn([object('v1', 'ConfigMap')], kube);
    await scopes.learn([object('v1', 'ConfigMap'), object('v1', 'Namespace')], kube);
    expect(asked).toEqual(['v1 ConfigMap']);
    // A CRD is read every time (its text stands in until discovery serves its kind).
    await scopes.learn([object('v1', 'ConfigMap'), crd('example.com', 'Gizmo', 'Cluster')], kube);
    expect(asked).toEqual(['v1 ConfigMap', 'example.com/v1 Gizmo']);
    expect(scopes.isClusterScoped('example.com/v1', 'Gizmo')).toBe(false);
  });
});
