import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { KubeApi } from './api.js';
import { clientNode } from './client-node.js';
import { Discovery, groupVersionPath } from './discovery.js';
import { KubeError, KubeErrorCode, rewrap } from './errors.js';
import { loadKubeconfig, loadKubeconfigFile, type LoadedKubeconfig } from './kubeconfig.js';
import {
  ListWatch,
  type ListTransform,
  type ListWatchOptions,
  type ListWatchSource,
  type WatchHandler,
} from './list-watch.js';
import { formatRef, refOf, type ObjectRef } from '../shared/refs.js';
import {
  describeBytes,
  MAX_BYTES_PER_KIND,
  MAX_CONTINUE_TOKEN_CHARS,
  MAX_LIST_PAGES,
  MAX_OBJECTS_PER_KIND,
  MAX_RESPONSE_BYTES,
  MAX_RESPONSE_COST,
} from './limits.js';
import type { ResourceInfo } from './refs.js';
import { checkOutbound, type AddressRange } from './outbound-policy.js';
import { shownUrl } from './shown-url.js';
import { isOversizedAnswer, Transport } from './transport.js';
import { watchEvents, type RawWatchEvent } from './watch-stream.js';

export interface WatchQuery {
  apiVersion: string;
  kind: string;
  /** undefined = all namespaces */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ApplyOptions {
  fieldManager: string;
  /** Take over fields other managers own. Strata applies with false so conflicts are reported (issue 4). */
  force: boolean;
  dryRun?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

interface ListResponse<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/**
 * Objects asked for per list page: client-go's 500 first. A page whose answer passes MAX_RESPONSE_BYTES (objects
 * of hundreds of KiB, such as dashboards in ConfigMaps) or MAX_RESPONSE_COST is asked for again with the next,
 * smaller size; each later page's size is chosen from the last page's bytes per object (pageSizeAfter), so a list
 * climbs back to 500 once the big objects are behind it (review 19, item 3: it stayed at 4 and ran into
 * MAX_LIST_PAGES).
 */
const LIST_PAGE_SIZES = [500, 100, 20, 4, 1] as const;

/**
 * Answers past MAX_RESPONSE_BYTES that one list may get. Each costs up to that much read and thrown away (not
 * parsed, nor counted against the list's bytes), and climbing back after one lets a server answer past it again.
 */
const MAX_OVERSIZED_LIST_ANSWERS = 8;

/**
 * The index in LIST_PAGE_SIZES of the largest page whose objects, at `bytesPerObject` each, fill at most half of
 * MAX_RESPONSE_BYTES: room for the next objects to be twice as big without passing it.
 */
function pageSizeAfter(bytesPerObject: number): number {
  const fits = LIST_PAGE_SIZES.findIndex((n) => n * bytesPerObject <= MAX_RESPONSE_BYTES / 2);
  return fits === -1 ? LIST_PAGE_SIZES.length - 1 : fits;
}

/** Kubernetes access for one kubeconfig context: discovery, server-side apply, get/delete/list, list+watch. */
export class KubeClient implements KubeApi {
  readonly server: string;
  readonly context: string;
  readonly kubeConfig: KubeConfig;
  private readonly transport: Transport;
  private readonly discovery: Discovery;
  private readonly defaultNamespace: string;

  private constructor(
    loaded: LoadedKubeconfig,
    options: { outboundDeny?: readonly AddressRange[]; userAgent?: string } = {},
  ) {
    this.kubeConfig = loaded.kubeConfig;
    // Shown in messages and the cluster's view (every viewer's): without a user-info credential.
    this.server = shownUrl(loaded.server);
    this.context = loaded.context;
    this.transport = new Transport(
      this.kubeConfig,
      loaded.server,
      new Set(options.outboundDeny ?? []),
      options.userAgent,
    );
    this.discovery = new Discovery(this.transport);
    this.defaultNamespace = this.kubeConfig.getContextObject(this.context)?.namespace ?? 'default';
  }

  /**
   * A kubeconfig file of this machine's user, as kubectl reads it (files relative to it, exec plugins).
   * Throws KubeError BadKubeconfig naming the file and what is wrong with it.
   */
  static fromFile(path: string, opts: { context?: string } = {}): KubeClient {
    return new KubeClient(loadKubeconfigFile(path, opts));
  }

  /**
   * A kubeconfig from elsewhere (the hub's clients): data only. It is refused (KubeError BadKubeconfig) when
   * it names a file or runs a program, except an exec plugin in `allowedExecPlugins`; nothing is run or read
   * here either way. `source` names it in messages (default "(inline)"). `outboundDeny`: address ranges no
   * connection may reach, checked each time the server's name is resolved (not only when the cluster is added).
   */
  static fromString(
    kubeconfigYaml: string,
    opts: {
      context?: string;
      source?: string;
      allowedExecPlugins?: readonly string[];
      outboundDeny?: readonly AddressRange[];
      /** The User-Agent of its requests (default "strata"). */
      userAgent?: string;
    } = {},
  ): KubeClient {
    return new KubeClient(
      loadKubeconfig(kubeconfigYaml, opts.source ?? '(inline)', {
        ...(opts.context === undefined ? {} : { context: opts.context }),
        dataOnly: { allowedExecPlugins: opts.allowedExecPlugins ?? [] },
      }),
      {
        ...(opts.outboundDeny === undefined ? {} : { outboundDeny: opts.outboundDeny }),
        ...(opts.userAgent === undefined ? {} : { userAgent: opts.userAgent }),
      },
    );
  }

  resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    return this.discovery.resourceFor(apiVersion, kind);
  }

  /** What `helm install` would see of this cluster: its version and every served API (see Discovery). */
  async capabilities(): Promise<{ kubeVersion: string; apiVersions: string[] }> {
    const [kubeVersion, apiVersions] = await Promise.all([
      this.discovery.serverVersion(),
      this.discovery.apiVersions(),
    ]);
    return { kubeVersion, apiVersions };
  }

  invalidateDiscovery(): void {
    this.discovery.invalidate();
  }

  /**
   * Server-side apply (PATCH application/apply-patch+yaml; JSON is YAML). A field-ownership conflict is a
   * KubeError Conflict with retryable false, `conflicts` listing manager and field, and a message such as
   * `Deployment web/api: conflict with "kubectl-edit" over .spec.replicas`.
   */
  async apply<T extends KubernetesObject>(obj: T, opts: ApplyOptions): Promise<T> {
    const ref = refOf(obj);
    if (!ref.apiVersion || !ref.kind || !ref.name) {
      throw new KubeError(
        KubeErrorCode.Invalid,
        `cannot apply ${formatRef(ref)}: apiVersion, kind and metadata.name are required`,
        { ref },
      );
    }
    const path = await this.objectPath(ref);
    const { value } = await this.transport.json<T>(clientNode().HttpMethod.PATCH, path, {
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force ? 'true' : undefined,
        dryRun: opts.dryRun ? 'All' : undefined,
      },
      body: JSON.stringify(obj),
      contentType: 'application/apply-patch+yaml',
      ref,
    });
    return value;
  }

  /** undefined when the object does not exist. */
  async get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    const path = await this.objectPath(ref);
    try {
      return (await this.transport.json<T>(clientNode().HttpMethod.GET, path, { ref })).value;
    } catch (error) {
      if (error instanceof KubeError && error.code === KubeErrorCode.NotFound) return undefined;
      throw error;
    }
  }

  /** true when this call deleted it (or started deleting it), false when it was already gone. */
  async delete(ref: ObjectRef, opts: DeleteOptions = {}): Promise<boolean> {
    const path = await this.objectPath(ref);
    try {
      await this.transport.json(clientNode().HttpMethod.DELETE, path, {
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: opts.propagationPolicy,
        }),
        ref,
      });
      return true;
    } catch (error) {
      if (error instanceof KubeError && error.code === KubeErrorCode.NotFound) return false;
      throw error;
    }
  }

  /**
   * Lists in pages of 500, fewer for big objects (LIST_PAGE_SIZES; one consistent snapshot: the continue token pins
   * the first page's resourceVersion). Items get apiVersion and kind filled in: the API server leaves them out of list items.
   * Bounded (limits.ts): at most MAX_OBJECTS_PER_KIND items, MAX_BYTES_PER_KIND bytes of pages and MAX_LIST_PAGES
   * pages, whatever `limit` the server honours, and a `continue` token it already sent (a loop) or a huge one is
   * refused, as are more than MAX_OVERSIZED_LIST_ANSWERS answers past MAX_RESPONSE_BYTES or MAX_RESPONSE_COST;
   * each is a retryable KubeError TooLarge naming the list. The bytes are each page's estimated heap once parsed
   * (json-cost.ts), not its length: `sizes[i]` is item i's share of its page's, what a ListWatch counts it at in
   * its cache.
   */
  // The caller names the kind it lists, as with get(); the API contract is generic on purpose.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async list<T extends KubernetesObject>(
    q: WatchQuery,
    opts: {
      signal?: AbortSignal;
      /** Each item as its page arrives, with its share of the page's estimated heap; it may throw to stop the list. */
      transform?: ListTransform;
      /** Default MAX_BYTES_PER_KIND; tests set a small one. */
      maxBytes?: number;
    } = {},
  ): Promise<{ items: T[]; resourceVersion: string; sizes: number[] }> {
    const maxBytes = opts.maxBytes ?? MAX_BYTES_PER_KIND;
    const transform = opts.transform ?? ((object) => object);
    const path = await this.collectionPath(q);
    const refuse = (why: string) =>
      new KubeError(
        KubeErrorCode.TooLarge,
        `list ${path} on ${this.server}: ${why}; the hub stopped reading this list`,
      );
    const items: T[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    let resourceVersion = '';
    let continueToken: string | undefined;
    const seenTokens = new Set<string>();
    /** This page's size and the fewest objects asked for so far, as indices in LIST_PAGE_SIZES. */
    let size = 0;
    let fewest = 0;
    let oversized = 0;
    for (let pages = 1; ; pages++) {
      let answer: Awaited<ReturnType<typeof this.transport.json<ListResponse<T>>>>;
      try {
        answer = await this.transport.json<ListResponse<T>>(clientNode().HttpMethod.GET, path, {
          query: {
            labelSelector: q.labelSelector,
            fieldSelector: q.fieldSelector,
            limit: String(LIST_PAGE_SIZES[size]),
            continue: continueToken,
          },
          signal: opts.signal,
        });
      } catch (error) {
        // The same page again, one size smaller, up to MAX_OVERSIZED_LIST_ANSWERS times in the whole list. Only on
        // the transport's own refusal: never on anything the server sends.
        if (!isOversizedAnswer(error) || size === LIST_PAGE_SIZES.length - 1) throw error;
        if (++oversized > MAX_OVERSIZED_LIST_ANSWERS) {
          throw refuse(
            `the API server sent more than ${String(MAX_OVERSIZED_LIST_ANSWERS)} answers larger than ${describeBytes(MAX_RESPONSE_BYTES)} (or than ${describeBytes(MAX_RESPONSE_COST)} once parsed), even in smaller pages`,
          );
        }
        size++;
        fewest = Math.max(fewest, size);
        pages--;
        continue;
      }
      const { value } = answer;
      const page = value.items ?? [];
      // Checked before transforming the page: a server that ignores `limit` may send a million small items.
      if (items.length + page.length > MAX_OBJECTS_PER_KIND) {
        throw refuse(`the API server sent more than ${MAX_OBJECTS_PER_KIND.toLocaleString('en-US')} items`);
      }
      // Each page is under MAX_RESPONSE_COST, but a list of many big ones is not (review 17). Counted in heap,
      // not bytes: 16 MiB of `[{},…]` is 342 MiB once parsed (review 19, item 2).
      bytes += answer.cost;
      if (bytes > maxBytes) {
        throw refuse(
          `the API server sent more than ${describeBytes(maxBytes)} (estimated heap) in its pages`,
        );
      }
      // Page by page, so the raw pages (managedFields and all) are garbage before the next one arrives.
      const share = page.length === 0 ? 0 : Math.ceil(answer.cost / page.length);
      for (const item of page) {
        items.push(transform({ ...item, apiVersion: q.apiVersion, kind: q.kind }, share));
        sizes.push(share);
      }
      // An empty page (a selector that matched nothing in it) says nothing about the next objects' size.
      if (page.length > 0) size = pageSizeAfter(share);
      fewest = Math.max(fewest, size);
      resourceVersion ||= value.metadata?.resourceVersion ?? '';
      continueToken = value.metadata?.continue || undefined;
      if (continueToken === undefined) break;
      if (typeof continueToken !== 'string' || continueToken.length > MAX_CONTINUE_TOKEN_CHARS) {
        throw refuse(
          `the API server sent a continue token that is not a string of at most ${MAX_CONTINUE_TOKEN_CHARS.toLocaleString('en-US')} characters`,
        );
      }
      if (seenTokens.has(continueToken)) {
        throw refuse(
          `the API server sent a continue token it had already sent (page ${String(pages)} loops back)`,
        );
      }
      if (pages >= MAX_LIST_PAGES) {
        const reduced =
          fewest === 0
            ? ''
            : ` (asked for in pages of as few as ${String(LIST_PAGE_SIZES[fewest])} objects, as its objects were large)`;
        throw refuse(
          `the API server sent more than ${MAX_LIST_PAGES.toLocaleString('en-US')} pages${reduced}`,
        );
      }
      seenTokens.add(continueToken);
    }
    return { items, resourceVersion, sizes };
  }

  /** One list+watch over `q`; call start() on the result. See ListWatch for the guarantees. */
  listWatch<T extends KubernetesObject>(
    q: WatchQuery,
    handler: WatchHandler<T>,
    opts: ListWatchOptions = {},
  ): ListWatch<T> {
    const source: ListWatchSource<T> = {
      list: (signal, transform) => this.list<T>(q, { signal, transform }),
      watch: (resourceVersion, options) => this.watch<T>(q, resourceVersion, options),
    };
    const where = q.namespace ? ` in namespace ${q.namespace}` : '';
    return new ListWatch<T>(source, handler, opts, `${q.kind} (${q.apiVersion})${where}`);
  }

  /**
   * One watch request from `resourceVersion`, with bookmarks, ended by the server after timeoutSeconds. A
   * client-side deadline 30 s later catches connections that died silently.
   */
  async *watch<T extends KubernetesObject>(
    q: WatchQuery,
    resourceVersion: string,
    options: { timeoutSeconds: number; signal: AbortSignal },
  ): AsyncGenerator<RawWatchEvent<T>> {
    const path = await this.collectionPath(q);
    const what = `watch ${path}`;
    const response = await this.transport.send(clientNode().HttpMethod.GET, path, {
      query: {
        watch: 'true',
        resourceVersion: resourceVersion || undefined,
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(options.timeoutSeconds),
        labelSelector: q.labelSelector,
        fieldSelector: q.fieldSelector,
      },
      signal: options.signal,
      timeoutMs: (options.timeoutSeconds + 30) * 1000,
    });
    if (response.status !== 200) {
      const text = await this.transport.text(response, what).catch(() => '');
      throw this.transport.responseError(response.status, text, path);
    }
    try {
      yield* watchEvents<T>(response.body, { what: `${what} on ${this.server}` });
    } catch (error) {
      throw this.transport.transportError(error, undefined, what);
    }
  }

  /**
   * Can we talk to this cluster? GET /version (reachability, TLS) then a one-item namespace list
   * (authentication and a basic read permission). Throws a KubeError naming the cause.
   */
  async checkAccess(): Promise<void> {
    const user = this.kubeConfig.getCurrentUser()?.name ?? '(none)';
    try {
      await this.transport.get('/version');
      await this.transport.get('/api/v1/namespaces', { query: { limit: '1' } });
    } catch (error) {
      if (!(error instanceof KubeError)) throw error;
      if (error.code === KubeErrorCode.Unauthorized) {
        throw rewrap(
          error,
          `the API server at ${this.server} rejected the credentials of user "${user}" (context "${this.context}"): ${error.message}`,
        );
      }
      if (error.code === KubeErrorCode.Forbidden) {
        throw rewrap(
          error,
          `user "${user}" (context "${this.context}") may not list namespaces on ${this.server}: ${error.message}`,
        );
      }
      throw error;
    }
  }

  /**
   * Refuses (KubeError OutboundDenied) when the cluster's server or proxy-url is, or resolves to, an address
   * in a denied range. Call it before the first request: a client chose these URLs.
   */
  async checkOutbound(deny: ReadonlySet<AddressRange>): Promise<void> {
    const proxy = this.kubeConfig.getCurrentCluster()?.proxyUrl;
    const targets: [string, string][] = [['server', this.server]];
    if (proxy) targets.push(['proxy-url', proxy]);
    for (const [field, url] of targets) {
      let refusal: Awaited<ReturnType<typeof checkOutbound>>;
      try {
        refusal = await checkOutbound(url, deny);
      } catch (error) {
        throw new KubeError(KubeErrorCode.BadKubeconfig, `${field} ${shownUrl(url)} is not a valid URL`, {
          cause: error,
        });
      }
      if (refusal) {
        const via = url.includes(refusal.address) ? '' : ` (${refusal.address})`;
        throw new KubeError(
          KubeErrorCode.OutboundDenied,
          `${field} ${shownUrl(url)}${via} is a ${refusal.range} address, which this hub does not contact`,
        );
      }
    }
  }

  /** Closes pooled connections; watches should be stopped first. */
  close(): Promise<void> {
    return this.transport.close();
  }

  private async collectionPath(q: WatchQuery): Promise<string> {
    const info = await this.resourceFor(q.apiVersion, q.kind);
    const base = groupVersionPath(info.group, info.version);
    return info.namespaced && q.namespace
      ? `${base}/namespaces/${encodeURIComponent(q.namespace)}/${info.resource}`
      : `${base}/${info.resource}`;
  }

  private async objectPath(ref: ObjectRef): Promise<string> {
    const info = await this.resourceFor(ref.apiVersion, ref.kind);
    const base = groupVersionPath(info.group, info.version);
    const name = encodeURIComponent(ref.name);
    if (!info.namespaced) return `${base}/${info.resource}/${name}`;
    const namespace = encodeURIComponent(ref.namespace ?? this.defaultNamespace);
    return `${base}/namespaces/${namespace}/${info.resource}/${name}`;
  }
}
