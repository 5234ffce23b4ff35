import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestenvError } from './errors.js';

const run = promisify(execFile);

/** The files of a control plane's PKI, all under its state folder. */
export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /**
   * etcd's own CA, as kubeadm has it: not the cluster's, whose key the controller manager signs approved CSRs
   * with (a cluster user with an approved client CSR would otherwise be a client etcd takes, past RBAC).
   */
  etcdCaCert: string;
  etcdCaKey: string;
  /** etcd's serving (and peer) certificate: etcd takes only clients with a certificate of its CA. */
  etcdCert: string;
  etcdKey: string;
  /** The API server's client certificate for etcd. */
  etcdClientCert: string;
  etcdClientKey: string;
}

export function pkiPaths(dir: string): Pki {
  const at = (file: string) => join(dir, file);
  return {
    caCert: at('ca.crt'),
    caKey: at('ca.key'),
    serverCert: at('apiserver.crt'),
    serverKey: at('apiserver.key'),
    adminCert: at('admin.crt'),
    adminKey: at('admin.key'),
    serviceAccountKey: at('sa.key'),
    serviceAccountPub: at('sa.pub'),
    etcdCaCert: at('etcd-ca.crt'),
    etcdCaKey: at('etcd-ca.key'),
    etcdCert: at('etcd.crt'),
    etcdKey: at('etcd.key'),
    etcdClientCert: at('etcd-client.crt'),
    etcdClientKey: at('etcd-client.key'),
  };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (cause) {
    throw new TestenvError('pki', `openssl ${args[0] ?? ''} failed`, {
      cause,
      hint: 'install openssl (apt-get install openssl)',
    });
  }
}

/**
 * A CA, the API server's serving certificate (for 127.0.0.1, localhost and the in-cluster names), an admin
 * client certificate in system:masters, the service-account signing key pair, and etcd's serving certificate
 * and the API server's client certificate for it: the same shape as a kubeadm cluster, so Strata's kubeconfig
 * handling (CA data, client certificate data) meets real TLS, and no other local user can read or write the
 * cluster's store through etcd's port (review 12, item 6: it was plain HTTP with no client authentication).
 * What an earlier version made is kept; only what it lacks is added.
 */
export async function createPki(dir: string): Promise<Pki> {
  const p = pkiPaths(dir);
  const days = '3650';
  const sign = async (
    key: string,
    cert: string,
    subject: string,
    extensions: string,
    ca: Pick<Pki, 'caCert' | 'caKey'> = p,
  ) => {
    const csr = `${cert}.csr`;
    const ext = `${cert}.ext`;
    await writeFile(ext, extensions);
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
    await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.caCert,
      '-CAkey',
      ca.caKey,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      days,
      '-extfile',
      ext,
    ]);
  };
  if (!existsSync(p.serviceAccountPub)) await createKubePki(p, days, sign);
  if (!existsSync(p.etcdClientCert)) {
    await selfSignedCa(p.etcdCaKey, p.etcdCaCert, '/CN=strata-testenv-etcd-ca', days);
    const etcdCa = { caCert: p.etcdCaCert, caKey: p.etcdCaKey };
    // Server and client auth both: etcd's peer listener presents it and checks it.
    await sign(
      p.etcdKey,
      p.etcdCert,
      '/CN=etcd',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
      etcdCa,
    );
    await sign(
      p.etcdClientKey,
      p.etcdClientCert,
      '/CN=kube-apiserver-etcd-client',
      'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
      etcdCa,
    );
  }
  return p;
}

type Sign = (key: string, cert: string, subject: string, extensions: string) => Promise<void>;

async function selfSignedCa(key: string, cert: string, subject: string, days: string): Promise<void> {
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    days,
    '-subj',
    subject,
  ]);
}

async function createKubePki(p: Pki, days: string, sign: Sign): Promise<void> {
  await selfSignedCa(p.caKey, p.caCert, '/CN=strata-testenv-ca', days);
  await sign(
    p.serverKey,
    p.serverCert,
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  await sign(
    p.adminKey,
    p.adminCert,
    '/O=system:masters/CN=strata-admin',
    'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  await openssl(['genrsa', '-out', p.serviceAccountKey, '2048']);
  await openssl(['rsa', '-in', p.serviceAccountKey, '-pubout', '-out', p.serviceAccountPub]);
}

/** A kubeconfig with everything inline (CA, client certificate and key), so the file works when copied. */
export async function adminKubeconfig(p: Pki, options: { name: string; server: string }): Promise<string> {
  const b64 = async (file: string) => (await readFile(file)).toString('base64');
  const { name, server } = options;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${await b64(p.caCert)}`,
    'users:',
    `- name: ${name}-admin`,
    '  user:',
    `    client-certificate-data: ${await b64(p.adminCert)}`,
    `    client-key-data: ${await b64(p.adminKey)}`,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}-admin`,
    `current-context: ${name}`,
    '',
  ].join('\n');
}
