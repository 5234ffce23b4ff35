// The client side of "kubeconfigs are data" (kubeconfig-policy.ts): before a kubeconfig leaves the user's
// machine for the hub, the files it names are read here, where they are meant to be read, and written into
// it, and only the context that is used is kept (`kubectl config view --flatten --minify`, plus token files).
import { isAbsolute, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseYamlDocument } from '../shared/yaml-parse.js';
import { KubeError, KubeErrorCode } from './errors.js';

export interface InlineOptions {
  /** The context to keep; default the file's current-context. */
  readonly context?: string;
  /** Relative paths resolve against this: the kubeconfig file's folder, as kubectl does. */
  readonly baseDir: string;
  readonly readFile: (path: string) => Promise<Buffer>;
}

export interface Inlined {
  readonly text: string;
  /** What was read, e.g. `user "alice" client-key (/home/a/.kube/alice.key)`, for the user to see. */
  readonly inlined: readonly string[];
}

type Entry = { name?: unknown } & Record<string, unknown>;

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

function named(list: unknown, name: unknown): Entry | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map(asRecord).find((e): e is Entry => e !== undefined && e.name === name);
}

/**
 * Keeps only the chosen context (with its cluster and user) and replaces `certificate-authority`,
 * `client-certificate`, `client-key` with their `*-data` and `token-file`/`tokenFile` with `token`. A
 * kubeconfig it cannot make sense of (bad YAML, unknown context) is returned unchanged, so the hub's positioned
 * error reaches the user. A file that cannot be read is a KubeError BadKubeconfig naming the field and path.
 */
export async function inlineKubeconfig(text: string, options: InlineOptions): Promise<Inlined> {
  const doc = parseYamlDocument(text, { merge: true }); // as kubectl and client-node read merge keys
  let config: Record<string, unknown> | undefined;
  try {
    config = doc.errors.length === 0 ? asRecord(doc.toJS()) : undefined;
  } catch {
    config = undefined; // an alias bomb: the hub names it
  }
  const contextName = options.context ?? config?.['current-context'];
  const context = named(config?.contexts, contextName);
  const ref = asRecord(context?.context);
  const cluster = named(config?.clusters, ref?.cluster);
  const user = named(config?.users, ref?.user);
  if (!config || !context || !ref || !cluster || !user) return { text, inlined: [] };

  const inlined: string[] = [];
  const read = async (what: string, value: unknown): Promise<Buffer> => {
    const path = isAbsolute(String(value)) ? String(value) : resolve(options.baseDir, String(value));
    try {
      const content = await options.readFile(path);
      inlined.push(`${what} (${path})`);
      return content;
    } catch (error) {
      const why =
        (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      throw new KubeError(KubeErrorCode.BadKubeconfig, `${what}: cannot read ${path} (${why})`, {
        cause: error,
      });
    }
  };
  /** The body with `field` (a path) replaced by what `convert` makes of the file's content under `to`. */
  const inline = async (
    body: Record<string, unknown>,
    field: string,
    to: string,
    what: string,
    convert: (content: Buffer) => string,
  ): Promise<Record<string, unknown>> => {
    const { [field]: value, ...rest } = body;
    if (value === undefined || value === null || value === '') return body;
    return { ...rest, [to]: convert(await read(`${what} ${field}`, value)) };
  };
  const base64 = (content: Buffer) => content.toString('base64');
  // client-go trims a token file's whitespace (a trailing newline is the usual case).
  const token = (content: Buffer) => content.toString('utf8').trim();

  const clusterName = `cluster "${String(cluster.name)}"`;
  let clusterBody = asRecord(cluster.cluster) ?? {};
  clusterBody = await inline(
    clusterBody,
    'certificate-authority',
    'certificate-authority-data',
    clusterName,
    base64,
  );
  const who = `user "${String(user.name)}"`;
  let userBody = asRecord(user.user) ?? {};
  userBody = await inline(userBody, 'client-certificate', 'client-certificate-data', who, base64);
  userBody = await inline(userBody, 'client-key', 'client-key-data', who, base64);
  userBody = await inline(userBody, 'token-file', 'token', who, token);
  userBody = await inline(userBody, 'tokenFile', 'token', who, token);

  const minified = {
    ...config,
    clusters: [{ ...cluster, cluster: clusterBody }],
    users: [{ ...user, user: userBody }],
    contexts: [context],
    'current-context': contextName,
  };
  return { text: stringify(minified), inlined };
}
