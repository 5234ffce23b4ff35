// What an exec plugin an admin allowed may be asked to do. Allowing `aws` by name is not allowing every `aws`
// command: it runs with the hub's cloud identity, so `aws s3 cp <data dir>/secret.key s3://elsewhere/` from a
// kubeconfig would ship the hub's key away. So each plugin Strata knows runs only in the shape of its
// token-getting command (its documented kubeconfig invocation), with only the options that command needs and
// values that cannot name a file, a URL or another option; and with only the environment variables that tune
// that command (an allowlist: HTTPS_PROXY, AWS_ENDPOINT_URL or AWS_CA_BUNDLE would send its signed requests
// elsewhere). A plugin Strata does not know runs with no arguments and no environment at all: what a program
// does with its arguments is not ours to guess. An admin who needs more puts a script on the hub's PATH that
// runs the exact command, and allows that script by name: the command line is then the admin's, not a
// kubeconfig's.

/** What an option's value must be: a pattern, and its words for messages. */
interface ValueShape {
  readonly pattern: RegExp;
  readonly what: string;
}

/** One option of a plugin's command: its spellings, and the value it takes (none: a switch). */
interface OptionShape {
  readonly names: readonly string[];
  readonly value?: ValueShape;
}

export interface PluginShape {
  /** The words of the token-getting command, in order (options may come before, between and after them). */
  readonly command: readonly string[];
  readonly options: readonly OptionShape[];
  /** Environment variables the command may be given. */
  readonly env: readonly string[];
  /** The command as a user would write it, for messages. */
  readonly usage: string;
}

const GUID: ValueShape = {
  pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  what: 'a GUID',
};
const AWS_REGION: ValueShape = {
  pattern: /^[a-z]{2}(-[a-z0-9]+){1,4}$/,
  what: 'an AWS region such as us-east-1',
};
const IAM_ROLE_ARN: ValueShape = {
  pattern: /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
  what: 'an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)',
};
const EKS_CLUSTER: ValueShape = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/,
  what: 'a cluster name (letters, digits, - and _)',
};
const choice = (...words: string[]): ValueShape => ({
  pattern: new RegExp(`^(${words.join('|')})$`),
  what: `one of ${words.join(', ')}`,
});

/**
 * The AWS SDKs' variables that pick an identity or region the hub already has, or carry credentials the
 * kubeconfig gives itself. Not AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_WEB_IDENTITY_TOKEN_FILE (files),
 * AWS_ENDPOINT_URL* or AWS_CA_BUNDLE (where signed requests go and whom they trust).
 */
const AWS_ENV = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_STS_REGIONAL_ENDPOINTS',
  'AWS_ROLE_SESSION_NAME',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_RETRY_MODE',
  'AWS_MAX_ATTEMPTS',
];

/**
 * What the variables above that steer where a plugin's requests go may hold: an SDK builds the STS host from
 * the region, so a region is checked as `--region` is.
 */
const ENV_VALUES: Readonly<Record<string, ValueShape>> = {
  AWS_REGION,
  AWS_DEFAULT_REGION: AWS_REGION,
  AWS_STS_REGIONAL_ENDPOINTS: choice('regional', 'legacy'),
  AWS_RETRY_MODE: choice('legacy', 'standard', 'adaptive'),
  AWS_MAX_ATTEMPTS: { pattern: /^[1-9]\d{0,1}$/, what: 'a number of attempts from 1 to 99' },
};

/** Why the value of an allowed variable is refused, or undefined when it may be given. */
export function envValueRefusal(name: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return 'its value is not a string';
  const shape = ENV_VALUES[name];
  if (shape !== undefined && !shape.pattern.test(value)) return `its value must be ${shape.what}`;
  return undefined;
}

/**
 * The plugins Strata knows, by command name. Sources: `aws eks get-token` (AWS CLI reference; what
 * `aws eks update-kubeconfig` writes), `aws-iam-authenticator token` (its README), `gke-gcloud-auth-plugin`
 * (run with no arguments by what `gcloud container clusters get-credentials` writes), `kubelogin get-token`
 * (Azure/kubelogin, what `az aks get-credentials` and `kubelogin convert-kubeconfig` write).
 */
export const knownPlugins: Readonly<Record<string, PluginShape>> = {
  aws: {
    command: ['eks', 'get-token'],
    options: [
      { names: ['--cluster-name'], value: EKS_CLUSTER },
      {
        names: ['--cluster-id'],
        value: { pattern: /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, what: 'a cluster id' },
      },
      { names: ['--role-arn'], value: IAM_ROLE_ARN },
      { names: ['--region'], value: AWS_REGION },
      {
        names: ['--profile'],
        value: { pattern: /^[A-Za-z0-9_][A-Za-z0-9_.+@-]{0,63}$/, what: 'a profile name of the hub' },
      },
      { names: ['--output'], value: choice('json') },
    ],
    env: AWS_ENV,
    usage:
      'aws eks get-token --cluster-name NAME (or --cluster-id ID) [--role-arn ARN] [--region REGION] ' +
      '[--profile PROFILE] [--output json]',
  },
  'aws-iam-authenticator': {
    command: ['token'],
    options: [
      { names: ['-i', '--cluster-id'], value: EKS_CLUSTER },
      { names: ['-r', '--role'], value: IAM_ROLE_ARN },
      { names: ['--region'], value: AWS_REGION },
      { names: ['--forward-session-name'] },
    ],
    env: AWS_ENV,
    usage: 'aws-iam-authenticator token -i CLUSTER [-r ROLE_ARN] [--region REGION] [--forward-session-name]',
  },
  'gke-gcloud-auth-plugin': {
    command: [],
    options: [{ names: ['--use_application_default_credentials'] }],
    env: [],
    usage: 'gke-gcloud-auth-plugin [--use_application_default_credentials]',
  },
  kubelogin: {
    command: ['get-token'],
    options: [
      {
        names: ['-l', '--login'],
        value: choice(
          'devicecode',
          'interactive',
          'spn',
          'ropc',
          'msi',
          'azurecli',
          'azd',
          'workloadidentity',
        ),
      },
      { names: ['--server-id'], value: GUID },
      { names: ['--client-id'], value: GUID },
      {
        names: ['-t', '--tenant-id'],
        value: { pattern: /^[a-z0-9][a-z0-9.-]{0,252}$/i, what: 'a tenant GUID or domain' },
      },
      {
        names: ['-e', '--environment'],
        value: choice('AzurePublicCloud', 'AzureChinaCloud', 'AzureUSGovernmentCloud'),
      },
      {
        names: ['--identity-resource-id'],
        value: {
          pattern: /^\/subscriptions\/[\w()./-]{1,1024}$/i,
          what: 'an Azure resource id (/subscriptions/…)',
        },
      },
      { names: ['--pop-enabled'] },
      {
        names: ['--pop-claims'],
        value: { pattern: /^[\w=/.,-]{1,1024}$/, what: 'claims such as u=/ARM/ID' },
      },
    ],
    // Not AZURE_AUTHORITY_HOST (where the secret goes), *_CERTIFICATE(_PATH) or AZURE_FEDERATED_TOKEN_FILE (files).
    env: [
      'AAD_LOGIN_METHOD',
      'AAD_SERVICE_PRINCIPAL_CLIENT_ID',
      'AAD_SERVICE_PRINCIPAL_CLIENT_SECRET',
      'AAD_USER_PRINCIPAL_NAME',
      'AAD_USER_PRINCIPAL_PASSWORD',
      'AZURE_CLIENT_ID',
      'AZURE_CLIENT_SECRET',
      'AZURE_TENANT_ID',
    ],
    usage:
      'kubelogin get-token --login MODE --server-id GUID [--client-id GUID] [--tenant-id TENANT] ' +
      '[--environment CLOUD] [--identity-resource-id ID] [--pop-enabled] [--pop-claims CLAIMS]',
  },
};

/** A plugin Strata does not know: its name, nothing else. */
const unknownPlugin = (name: string): PluginShape => ({ command: [], options: [], env: [], usage: name });

export function pluginShape(name: string): { shape: PluginShape; known: boolean } {
  const shape = Object.hasOwn(knownPlugins, name) ? knownPlugins[name] : undefined;
  return shape === undefined ? { shape: unknownPlugin(name), known: false } : { shape, known: true };
}

/**
 * Why `args` do not fit the plugin's command (the first argument that does not, and what is wrong with it), or
 * undefined when they do: the command's words in order, each allowed option at most once, with a value that
 * matches its pattern, given as `--name value` or `--name=value`.
 */
export function argsRefusal(shape: PluginShape, args: readonly unknown[]): string | undefined {
  const words: string[] = [];
  const seen = new Set<OptionShape>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const at = `args[${i}]`;
    if (typeof arg !== 'string') return `${at} is not a string`;
    // An argument's text is quoted only once it is known to be one of the command's own words or option names:
    // this text becomes a stored cluster's status, which every viewer reads, and an argument may hold a secret
    // (`-pS3cret`, a token given as a word). The position names it for the admin.
    if (!arg.startsWith('-')) {
      if (shape.command[words.length] !== arg) return `${at} is not part of the command`;
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const option = shape.options.find((o) => o.names.includes(name));
    if (option === undefined) return `${at} is not an option the command may be given`;
    if (seen.has(option)) return `${at} "${name}" is given twice`;
    seen.add(option);
    if (option.value === undefined) {
      if (eq !== -1) return `${at} "${name}" takes no value`;
      continue;
    }
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (typeof value !== 'string' || !option.value.pattern.test(value))
      // The value is not quoted: this text becomes a stored cluster's status, which every viewer reads.
      return `${at} "${name}" needs ${option.value.what}${typeof value === 'string' ? ', and the value given is not one' : ', and none is given'}`;
  }
  if (words.length !== shape.command.length) return `the command "${shape.command.join(' ')}" is incomplete`;
  return undefined;
}

/** Variables that send a plugin's requests, signed with the hub's identity, elsewhere or trust another CA. */
const REDIRECTING_ENV =
  /^(HTTPS?_PROXY|ALL_PROXY|NO_PROXY|AWS_ENDPOINT_URL.*|AWS_CA_BUNDLE|SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|AZURE_AUTHORITY_HOST)$/i;

/** Variables that make a process load or run another program, or read a file the kubeconfig names. */
const LOADING_ENV =
  /^(PATH|HOME|ENV|BASH_ENV|IFS|SHELLOPTS|KUBECONFIG|GOOGLE_APPLICATION_CREDENTIALS|CLOUDSDK_CONFIG)$|^(LD_|DYLD_|NODE_|PYTHON|PERL|RUBY|GIT_)|(_FILE|_PATH|_DIR|_HOME|_CERTIFICATE)$/i;

/** Why the plugin may not be given environment variable `name`, for a message. */
export function envCause(name: string): string {
  if (REDIRECTING_ENV.test(name))
    return "it would send the requests the plugin signs with the hub's identity through or to a host the kubeconfig names, or make it trust another certificate authority";
  if (LOADING_ENV.test(name))
    return 'it could make the plugin run another program or read a file the kubeconfig names';
  return 'it is not one of the variables Strata lets this plugin be given';
}
