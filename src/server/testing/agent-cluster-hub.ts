// A listening test hub on SQLite with one agent cluster, `c1`, attached to a one-ConfigMap profile `p`: where the
// route tests of what an agent reports (history, runs) start. No control plane: the test pushes as the agent.
import { SqliteBackend } from '../../store/testing/backends.js';
import { startTestHub, type TestHub } from './server.js';

const PROFILE = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: p }',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  packs:',
  '    - name: cfg',
  '      layer: addon',
  '      version: 1.0.0',
  '      type: manifest',
  '      namespace: default',
  '      manifests:',
  '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg } }',
  '',
].join('\n');

export interface AgentClusterHub {
  readonly hub: TestHub;
  /** The agent token of `c1`. */
  readonly agentToken: string;
  close(): Promise<void>;
}

export async function startAgentClusterHub(): Promise<AgentClusterHub> {
  const backend = new SqliteBackend();
  await backend.setup();
  const hub = await startTestHub(backend);
  await hub.api('POST', '/api/v1/profiles', {
    role: 'operator',
    raw: PROFILE,
    headers: { 'content-type': 'application/yaml' },
  });
  const registered = await hub.api('POST', '/api/v1/agent-clusters', { body: { name: 'c1' } });
  const attached = await hub.api('POST', '/api/v1/clusters/c1/attachments', {
    role: 'operator',
    body: { profile: 'p', version: '1.0.0' },
  });
  if (attached.status !== 201)
    throw new Error(`attaching p to c1: ${String(attached.status)} ${attached.text}`);
  return {
    hub,
    agentToken: (registered.json as { token: string }).token,
    close: async () => {
      await hub.close();
      await backend.teardown();
    },
  };
}
