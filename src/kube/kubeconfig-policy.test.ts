// A kubeconfig from a hub client is data: every shape that would run a program or read a file on the hub is
// refused, naming the user or cluster and the field, and nothing runs or is read while it is checked.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeClient } from './client.js';
import { KubeError } from './errors.js';

const CA = Buffer.from('ca').toString('base64');

/** A kubeconfig with one cluster and one user, the user's body and the cluster's extra lines given. */
function kubeconfig(
  userLines: string[],
  clusterLines: string[] = [`certificate-authority-data: ${CA}`],
): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: prod',
    '  cluster:',
    '    server: https://127.0.0.1:6443',
    ...clusterLines.map((l) => `    ${l}`),
    'users:',
    '- name: alice',
    '  user:',
    ...userLines.map((l) => `    ${l}`),
    'contexts:',
    '- name: ctx',
    '  context: { cluster: prod, user: alice }',
    'current-context: ctx',
    '',
  ].join('\n');
}

function refusal(load: () => unknown): KubeError {
  try {
    load();
  } catch (error) {
    if (error instanceof KubeError) return error;
    throw error;
  }
  throw new Error('expected the kubeconfig to be refused');
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kubeconfig-policy-'));
}

/** A user whose exec plugin would create `marker` if anything ran it. */
function execUser(marker: string, command = 'touch'): string[] {
  return [
    'exec:',
    '  apiVersion: client.authentication.k8s.io/v1',
    `  command: ${command}`,
    `  args: ["${marker}"]`,
  ];
}

describe('KubeClient.fromString refuses a kubeconfig that is a program or names a file', () => {
  it('an exec plugin: refused, named, and never run', () => {
    const marker = join(tempDir(), 'ran');
    const e = refusal(() => KubeClient.fromString(kubeconfig(execUser(marker))));
    expect(e.code).toBe('BadKubeconfig');
    expect(e.message).toMatch(
      /^kubeconfig \(inline\): user "alice": exec runs "touch" and the hub runs no program a kubeconfig names: .*STRATA_ALLOWED_EXEC_PLUGINS/,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('an exec plugin through a shell, as an absolute path: refused and never run', () => {
    const marker = join(tempDir(), 'ran');
    const user = [
      'exec:',
      '  apiVersion: client.authentication.k8s.io/v1',
      '  command: /bin/sh',
      `  args: ["-c", "touch ${marker}"]`,
    ];
    const e = refusal(() => KubeClient.fromString(kubeconfig(user), { source: 'for cluster "x"' }));
    expect(e.message).toContain('kubeconfig for cluster "x": user "alice": exec runs "/bin/sh"');
    expect(existsSync(marker)).toBe(false);
  });

  it('an auth-provider gcp with cmd-path: refused and never run', () => {
    const marker = join(tempDir(), 'ran');
    const user = [
      'auth-provider:',
      '  name: gcp',
      '  config:',
      '    cmd-path: /usr/bin/touch',
      `    cmd-args: ${marker}`,
      '    token-key: "{.access_token}"',
    ];
    const e = refusal(() => KubeClient.fromString(kubeconfig(user)));
    expect(e.message).toMatch(
      /user "alice": auth-provider "gcp" is refused: .*gke-gcloud-auth-plugin replaces gcp/,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('an auth-provider oidc: refused (any provider)', () => {
    const user = [
      'auth-provider:',
      '  name: oidc',
      '  config: { idp-issuer-url: "http://169.254.169.254/" }',
    ];
    expect(refusal(() => KubeClient.fromString(kubeconfig(user))).message).toContain(
      'user "alice": auth-provider "oidc" is refused',
    );
  });

  it.each(['token-file', 'tokenFile'])('a %s: refused before client-node reads it', (field) => {
    const secret = join(tempDir(), 'secret.key');
    writeFileSync(secret, 'master-key');
    const e = refusal(() => KubeClient.fromString(kubeconfig([`${field}: ${secret}`])));
    expect(e.message).toBe(
      `kubeconfig (inline): user "alice": ${field} names a file (${secret}) and the hub reads no file a kubeconfig ` +
        'names: put the token itself in "token", or add the cluster with `strata cluster add --kubeconfig FILE`, ' +
        'which reads the token file on your machine',
    );
    expect(e.message).not.toContain('master-key');
  });

  it('a token-file of 0 (stdin for readFileSync) is refused too', () => {
    expect(refusal(() => KubeClient.fromString(kubeconfig(['token-file: 0']))).message).toContain(
      'user "alice": token-file names a file (0)',
    );
  });

  it.each(['client-key', 'client-certificate'])('a %s path: refused with the flatten hint', (field) => {
    const e = refusal(() => KubeClient.fromString(kubeconfig([`${field}: /etc/strata/secret.key`])));
    expect(e.message).toBe(
      `kubeconfig (inline): user "alice": ${field} names a file (/etc/strata/secret.key) and the hub reads no ` +
        'file a kubeconfig names: inline it (`kubectl config view --flatten --minify` writes certificate and ' +
        'key files into *-data fields), or add the cluster with `strata cluster add --kubeconfig FILE`, which ' +
        'inlines the files it can read on your machine',
    );
  });

  it('a certificate-authority path: refused naming the cluster', () => {
    const e = refusal(() =>
      KubeClient.fromString(kubeconfig(['token: abc'], ['certificate-authority: ../../.strata/secret.key'])),
    );
    expect(e.message).toMatch(
      /^kubeconfig \(inline\): cluster "prod": certificate-authority names a file \(\.\.\/\.\.\/\.strata\/secret\.key\)/,
    );
  });

  it('a user no context uses is checked too: the whole document is stored', () => {
    const text = kubeconfig(['token: abc']).replace(
      'contexts:',
      '- name: other\n  user:\n    exec: { command: sh, args: ["-c", "id"] }\ncontexts:',
    );
    expect(refusal(() => KubeClient.fromString(text)).message).toContain('user "other": exec runs "sh"');
  });

  it('inline credentials are accepted', () => {
    const client = KubeClient.fromString(
      kubeconfig([`client-certificate-data: ${CA}`, `client-key-data: ${CA}`, 'token: abc']),
    );
    expect(client.server).toBe('https://127.0.0.1:6443');
  });
});

describe('exec plugins an admin allowed', () => {
  it('an allowed plugin by its bare name is accepted and not run while the kubeconfig is loaded', () => {
    const marker = join(tempDir(), 'ran');
    const user = ['exec:', '  apiVersion: client.authentication.k8s.io/v1', '  command: touch'];
    const client = KubeClient.fromString(kubeconfig(user), { allowedExecPlugins: ['touch'] });
    expect(client.context).toBe('ctx');
    expect(existsSync(marker)).toBe(false);
  });

  it('the allowed name given as a path the client chose is refused', () => {
    const marker = join(tempDir(), 'ran');
    const e = refusal(() =>
      KubeClient.fromString(kubeconfig(execUser(marker, '/tmp/evil/touch')), {
        allowedExecPlugins: ['touch'],
      }),
    );
    expect(e.message).toContain(
      `user "alice": exec command "/tmp/evil/touch" is a path: the allowed plugin "touch" runs by its name only, from the hub's PATH; write command: touch`,
    );
  });

  it('another plugin stays refused', () => {
    const e = refusal(() =>
      KubeClient.fromString(kubeconfig(execUser('x', 'kubelogin')), { allowedExecPlugins: ['aws'] }),
    );
    expect(e.message).toContain('exec runs "kubelogin"');
  });

  it.each(['LD_PRELOAD', 'PATH', 'AWS_CONFIG_FILE', 'PYTHONSTARTUP', 'NODE_OPTIONS'])(
    'env %s that would run or read something else is refused',
    (name) => {
      const user = [...awsUser(EKS_ARGS), `  env: [{ name: ${name}, value: /tmp/x }]`];
      const e = refusal(() => KubeClient.fromString(kubeconfig(user), { allowedExecPlugins: ['aws'] }));
      expect(e.message).toContain(
        `user "alice": exec env ${name} is refused: it could make the plugin run another program or read a file`,
      );
    },
  );

  it('an ordinary env such as AWS_PROFILE is accepted', () => {
    const user = [
      ...awsUser(EKS_ARGS),
      '  env: [{ name: AWS_PROFILE, value: prod }, { name: AWS_REGION, value: eu-west-1 }]',
    ];
    expect(KubeClient.fromString(kubeconfig(user), { allowedExecPlugins: ['aws'] }).context).toBe('ctx');
  });

  it('a region in env is checked as --region is: an SDK builds the STS host from it', () => {
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
      const user = [...awsUser(EKS_ARGS), `  env: [{ name: ${name}, value: "evil.example/x" }]`];
      expect(() => KubeClient.fromString(kubeconfig(user), { allowedExecPlugins: ['aws'] })).toThrow(
        `user "alice": exec env ${name} is refused: its value must be an AWS region such as us-east-1`,
      );
    }
    const endpoints = [...awsUser(EKS_ARGS), '  env: [{ name: AWS_STS_REGIONAL_ENDPOINTS, value: global }]'];
    expect(() => KubeClient.fromString(kubeconfig(endpoints), { allowedExecPlugins: ['aws'] })).toThrow(
      'exec env AWS_STS_REGIONAL_ENDPOINTS is refused: its value must be one of regional, legacy',
    );
  });
});

/** The args `aws eks update-kubeconfig` writes. */
const EKS_ARGS = ['--region', 'us-east-1', 'eks', 'get-token', '--cluster-name', 'prod', '--output', 'json'];

/** A user running an allowed plugin (default aws) with these args. */
function awsUser(args: readonly string[], command = 'aws'): string[] {
  return [
    'exec:',
    '  apiVersion: client.authentication.k8s.io/v1beta1',
    `  command: ${command}`,
    `  args: ${JSON.stringify(args)}`,
  ];
}

const allowAll = {
  allowedExecPlugins: ['aws', 'aws-iam-authenticator', 'gke-gcloud-auth-plugin', 'kubelogin', 'touch'],
};

describe('an allowed plugin runs only as its token-getting command (finding 10: it acts with the hub’s identity)', () => {
  it('refuses `aws s3 cp <data dir>/secret.key s3://…`, naming the user, the argument and what is allowed', () => {
    const user = awsUser(['s3', 'cp', '/var/lib/strata/secret.key', 's3://x/']);
    const e = refusal(() => KubeClient.fromString(kubeconfig(user), allowAll));
    expect(e.message).toBe(
      'kubeconfig (inline): user "alice": exec args[0] is not part of the command: the allowed plugin ' +
        '"aws" runs with the hub\'s identity, so only as `aws eks get-token --cluster-name NAME (or ' +
        '--cluster-id ID) [--role-arn ARN] [--region REGION] [--profile PROFILE] [--output json]`; an admin who ' +
        "wants it run otherwise can put a script on the hub's PATH that runs the exact command and allow that " +
        'script by name (STRATA_ALLOWED_EXEC_PLUGINS or `strata serve --allow-exec-plugin`)',
    );
  });

  it.each([
    ['aws as `aws eks update-kubeconfig` writes it', 'aws', EKS_ARGS],
    [
      'aws with a role and --opt=value',
      'aws',
      ['eks', 'get-token', '--cluster-name=prod', '--role-arn', 'arn:aws:iam::123456789012:role/deploy'],
    ],
    [
      'aws-iam-authenticator',
      'aws-iam-authenticator',
      ['token', '-i', 'prod', '-r', 'arn:aws:iam::123456789012:role/x'],
    ],
    ['gke-gcloud-auth-plugin', 'gke-gcloud-auth-plugin', []],
    [
      'kubelogin as `az aks get-credentials` writes it',
      'kubelogin',
      ['get-token', '--login', 'azurecli', '--server-id', '6dae42f8-4368-4678-94ff-3960e28e3630'],
    ],
    [
      'kubelogin for a service principal',
      'kubelogin',
      [
        'get-token',
        '--environment',
        'AzurePublicCloud',
        '--server-id',
        '6dae42f8-4368-4678-94ff-3960e28e3630',
        '--client-id',
        '80faf920-1908-4b52-b5ef-a8e7bedfc67a',
        '--tenant-id',
        'contoso.onmicrosoft.com',
        '--login',
        'spn',
      ],
    ],
  ])('accepts %s', (_what, command, args) => {
    expect(KubeClient.fromString(kubeconfig(awsUser(args, command)), allowAll).context).toBe('ctx');
  });

  it.each([
    [
      'an option the command does not take',
      'aws',
      [...EKS_ARGS, '--endpoint-url', 'https://sts.evil.example'],
      'args[8] is not an option the command may be given',
    ],
    [
      'a value that would read a file (aws reads file:// values)',
      'aws',
      ['eks', 'get-token', '--cluster-name', 'file:///var/lib/strata/secret.key'],
      'args[2] "--cluster-name" needs a cluster name (letters, digits, - and _), and the value given is not one',
    ],
    [
      'an option whose value is missing',
      'aws',
      ['eks', 'get-token', '--cluster-name'],
      'args[2] "--cluster-name" needs a cluster name (letters, digits, - and _), and none is given',
    ],
    [
      'an option given twice',
      'aws',
      [...EKS_ARGS, '--region', 'eu-west-1'],
      'args[8] "--region" is given twice',
    ],
    [
      'another subcommand',
      'aws',
      ['eks', 'update-kubeconfig', '--name', 'prod'],
      'args[1] is not part of the command',
    ],
    [
      'an incomplete command',
      'aws',
      ['eks', '--cluster-name', 'prod'],
      'the command "eks get-token" is incomplete',
    ],
    [
      'a file kubelogin would read',
      'kubelogin',
      ['get-token', '--login', 'spn', '--client-certificate', '/etc/key.pfx'],
      'args[3] is not an option the command may be given',
    ],
    [
      'an option with a secret glued to it, without quoting it (review 12, item 3)',
      'aws',
      [...EKS_ARGS, '-pS3cretValue'],
      'args[8] is not an option the command may be given',
    ],
    [
      'a word gke-gcloud-auth-plugin does not take',
      'gke-gcloud-auth-plugin',
      ['--version'],
      'args[0] is not an option the command may be given',
    ],
  ])('refuses %s', (_what, command, args, cause) => {
    const e = refusal(() => KubeClient.fromString(kubeconfig(awsUser(args, command)), allowAll));
    expect(e.message).not.toContain('S3cretValue');
    expect(e.message).toContain(
      `user "alice": exec ${cause}: the allowed plugin "${command}" runs with the hub's identity, so only as \``,
    );
  });

  it('runs a plugin Strata does not know only without arguments and environment', () => {
    const e = refusal(() => KubeClient.fromString(kubeconfig(awsUser(['-c', 'id'], 'touch')), allowAll));
    expect(e.message).toContain(
      'user "alice": exec args[0] is not an option the command may be given: Strata does not know the ' +
        'plugin "touch", so it runs without arguments; an admin who wants it run otherwise can put a script',
    );
    const withEnv = [...awsUser([], 'touch'), '  env: [{ name: MODE, value: x }]'];
    expect(refusal(() => KubeClient.fromString(kubeconfig(withEnv), allowAll)).message).toContain(
      'user "alice": exec env MODE is refused: it is not one of the variables Strata lets this plugin be given. ' +
        'Strata does not know the plugin "touch", so it is given no variable',
    );
  });

  it.each(['HTTPS_PROXY', 'https_proxy', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_STS', 'AWS_CA_BUNDLE'])(
    'refuses env %s: the requests the plugin signs would go elsewhere',
    (name) => {
      const user = [...awsUser(EKS_ARGS), `  env: [{ name: ${name}, value: "https://evil.example" }]`];
      expect(refusal(() => KubeClient.fromString(kubeconfig(user), allowAll)).message).toContain(
        `user "alice": exec env ${name} is refused: it would send the requests the plugin signs with the hub's ` +
          'identity through or to a host the kubeconfig names',
      );
    },
  );

  it('refuses an env name it does not know, naming the ones it allows', () => {
    const user = [...awsUser(EKS_ARGS), '  env: [{ name: AWS_USE_FIPS_ENDPOINTZ, value: "true" }]'];
    expect(refusal(() => KubeClient.fromString(kubeconfig(user), allowAll)).message).toContain(
      'user "alice": exec env AWS_USE_FIPS_ENDPOINTZ is refused: it is not one of the variables Strata lets this ' +
        'plugin be given. "aws" may be given only AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_REGION,',
    );
  });
});

describe("KubeClient.fromFile is the local user's own kubeconfig", () => {
  it('still reads files next to it (kubectl semantics)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ca.crt'), 'ca');
    const file = join(dir, 'config');
    writeFileSync(file, kubeconfig(['token: abc'], ['certificate-authority: ca.crt']));
    expect(KubeClient.fromFile(file).server).toBe('https://127.0.0.1:6443');
  });
});

describe('no YAML trick gets a program past the check', () => {
  it('an exec hidden behind a merge key (js-yaml merges it) is refused and never run', () => {
    const marker = join(tempDir(), 'ran');
    const text = kubeconfig(['<<: *hidden']).replace(
      'users:',
      `hidden: &hidden\n  exec: { command: touch, args: ["${marker}"] }\nusers:`,
    );
    const e = refusal(() => KubeClient.fromString(text));
    expect(e.message).toContain('user "alice": exec runs "touch"');
    expect(existsSync(marker)).toBe(false);
  });

  it('a token-file hidden behind a merge key is refused', () => {
    const text = kubeconfig(['<<: { token-file: /etc/shadow }']);
    expect(refusal(() => KubeClient.fromString(text)).message).toContain(
      'user "alice": token-file names a file (/etc/shadow)',
    );
  });
});

describe('a kubeconfig that would exhaust the hub', () => {
  it('an alias bomb is a BadKubeconfig, not an uncaught error', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    let previous = 'a';
    for (let i = 0; i < 8; i++) {
      lines.push(`b${i}: &b${i} [${Array<string>(10).fill(`*${previous}`).join(', ')}]`);
      previous = `b${i}`;
    }
    const e = refusal(() => KubeClient.fromString(`${lines.join('\n')}\n${kubeconfig(['token: abc'])}`));
    expect(e.message).toMatch(/^kubeconfig \(inline\): not usable YAML: Excessive alias count/);
  });
});
