import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inClusterClient } from './main.js';

describe('the agent inside a cluster', () => {
  it("uses the pod's ServiceAccount: the API server from the environment, the mounted token, CA and namespace", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(dir, 'token'), 'eyJ.token.sig\n');
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'namespace'), 'strata-agent');
    const kube = await inClusterClient(
      { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      dir,
    );
    expect(kube.server).toBe('https://10.96.0.1:443');
    expect(kube.kubeConfig.getCurrentUser()?.token).toBe('eyJ.token.sig');
    expect(kube.kubeConfig.getContextObject(kube.context)?.namespace).toBe('strata-agent');
    await kube.close();
  });

  it('outside a cluster, or without the mounted token, says what to give it instead', async () => {
    await expect(inClusterClient({})).rejects.toThrow(
      /KUBERNETES_SERVICE_HOST is not set\): give the agent --kubeconfig FILE/,
    );
    await expect(
      inClusterClient({ KUBERNETES_SERVICE_HOST: 'fd00::1' }, join(tmpdir(), 'no-such-sa-dir')),
    ).rejects.toThrow(/cannot read the pod's ServiceAccount token in .*no-such-sa-dir/);
  });
});
