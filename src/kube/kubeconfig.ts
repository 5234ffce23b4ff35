import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { clientNode } from './client-node.js';
import { confineExecPlugins } from './exec-env.js';
import { parseYamlDocument } from '../shared/yaml-parse.js';
import { KubeError, KubeErrorCode } from './errors.js';
import { checkKubeconfigIsData, KubeconfigRefusal, type KubeconfigPolicy } from './kubeconfig-policy.js';
import { shownUrl } from './shown-url.js';

export interface LoadedKubeconfig {
  kubeConfig: KubeConfig;
  context: string;
  server: string;
}

function bad(source: string, what: string, cause?: unknown): KubeError {
  return new KubeError(KubeErrorCode.BadKubeconfig, `kubeconfig ${source}: ${what}`, { cause });
}

export interface LoadKubeconfigOptions {
  context?: string;
  /** Relative file references resolve against this (a kubeconfig file's own folder). */
  baseDir?: string;
  /**
   * Set for a kubeconfig from elsewhere (a client of the hub): it is refused when it would run a program or
   * read a file on this machine (see kubeconfig-policy.ts), before client-node parses it.
   */
  dataOnly?: KubeconfigPolicy;
}

/**
 * Reads a kubeconfig and selects a context, checking what client-node would otherwise only trip over at the
 * first request (or not at all: it silently yields no cluster): YAML syntax, the context, its cluster's server,
 * its user, and the files it points to.
 */
export function loadKubeconfig(
  text: string,
  source: string,
  options: LoadKubeconfigOptions = {},
): LoadedKubeconfig {
  // Merge keys (`<<: *anchor`) on, as client-node's js-yaml reads them: what is checked below must be what
  // client-node would have seen. A repeated key is refused, as before, found in linear time (shared/yaml-parse.ts):
  // the yaml library's own check is quadratic in the keys of a mapping.
  const doc = parseYamlDocument(text, { merge: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw bad(source, `not valid YAML${at}: ${first.message.split('\n')[0] ?? ''}`, first);
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // The yaml package refuses alias bombs ("Excessive alias count …") here, not while parsing.
    throw bad(source, `not usable YAML: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(source, 'not a kubeconfig: expected a mapping with clusters, contexts and users');
  }
  const record = value as Record<string, unknown>;
  if (!Array.isArray(record.clusters) || !Array.isArray(record.contexts)) {
    throw bad(source, 'not a kubeconfig: it has no "clusters" and "contexts" lists');
  }
  if (options.dataOnly) {
    try {
      checkKubeconfigIsData(record, options.dataOnly);
    } catch (error) {
      if (error instanceof KubeconfigRefusal) throw bad(source, error.message);
      throw error;
    }
  }

  const kc = new (clientNode().KubeConfig)();
  try {
    // The very object that was checked, as JSON (which js-yaml reads with no anchors, merges or tags): no
    // second YAML parser gets a chance to see something else in the text.
    kc.loadFromString(JSON.stringify(record));
  } catch (error) {
    throw bad(source, error instanceof Error ? error.message : String(error), error);
  }
  if (options.baseDir !== undefined) kc.makePathsAbsolute(options.baseDir);
  // A kubeconfig the hub was sent runs its allowed plugins without the hub's secrets in their environment.
  if (options.dataOnly) confineExecPlugins(kc);

  const available = kc.getContexts().map((c) => c.name);
  const contextName = options.context ?? kc.getCurrentContext();
  if (!contextName) {
    throw bad(source, `no current-context is set and no context was chosen (contexts: ${list(available)})`);
  }
  const context = kc.getContextObject(contextName);
  if (!context) {
    throw bad(source, `context "${contextName}" not found (contexts: ${list(available)})`);
  }
  kc.setCurrentContext(contextName);

  const cluster = kc.getCluster(context.cluster);
  if (!cluster)
    throw bad(source, `context "${contextName}" names cluster "${context.cluster}", which is not defined`);
  if (!cluster.server) throw bad(source, `cluster "${cluster.name}" has no server`);
  try {
    const url = new URL(cluster.server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(url.protocol);
  } catch (error) {
    throw bad(
      source,
      `cluster "${cluster.name}" has an invalid server URL ${shownUrl(cluster.server)}`,
      error,
    );
  }
  if (!kc.getUser(context.user)) {
    throw bad(source, `context "${contextName}" names user "${context.user}", which is not defined`);
  }
  const user = kc.getUser(context.user);
  const files: [string, string | undefined][] = [
    [`cluster "${cluster.name}" certificate-authority`, cluster.caFile],
    [`user "${context.user}" client-certificate`, user?.certFile],
    [`user "${context.user}" client-key`, user?.keyFile],
  ];
  for (const [what, file] of files) {
    if (file !== undefined && file !== '' && !existsSync(file))
      throw bad(source, `${what} file ${file} does not exist`);
  }
  return { kubeConfig: kc, context: contextName, server: cluster.server };
}

export function loadKubeconfigFile(path: string, options: { context?: string } = {}): LoadedKubeconfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw bad(
      path,
      code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? String(error)})`,
      error,
    );
  }
  return loadKubeconfig(text, path, { ...options, baseDir: dirname(path) });
}

function list(names: string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}
