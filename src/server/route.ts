// The route table's entry type. One entry per operation declares everything about it: method, path, the
// role it needs, zod schemas for params/query/body/response, the documented errors and the handler. The
// server (app.ts) registers routes from it, the OpenAPI document (openapi.ts) is generated from it, and the
// authorization matrix test iterates over it, so the three can never disagree.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Actor, Hub } from '../hub/index.js';
import type { Metrics } from './metrics.js';
import type { EventStream } from './sse.js';
import type { StreamLimits } from './stream-limits.js';

/**
 * Who may call a route. Ordered: each role may do everything the ones before it may, except `agent`, which is
 * outside the chain: an agent token (`strata cluster add --agent`) may call the agent routes only, and no other
 * token may call those (auth.ts).
 */
export const Role = {
  Public: 'public',
  Viewer: 'viewer',
  Operator: 'operator',
  Admin: 'admin',
  Agent: 'agent',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** The chain's order; `agent` ranks above every role so that none of them reaches an agent route. */
export const roleRank: Record<Role, number> = { public: 0, viewer: 1, operator: 2, admin: 3, agent: 4 };

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * How a request body may be sent: JSON always; YAML where a profile is the body (`application/yaml`); a
 * profile bundle (`application/gzip`, src/profile/bundle.ts) where a profile with its local files is.
 */
export const BodyFormat = { Json: 'json', Yaml: 'yaml', Bundle: 'bundle' } as const;
export type BodyFormat = (typeof BodyFormat)[keyof typeof BodyFormat];

export interface Services {
  readonly hub: Hub;
  readonly events: EventStream;
  /** Open event streams per token and in all, capped (stream-limits.ts). */
  readonly streamLimits: StreamLimits;
  readonly metrics: Metrics;
  /** <data dir>/admin-token when the hub was started by `serve`: removed once another admin token exists. */
  readonly adminTokenFile: string | undefined;
  /** Set: /metrics takes it as a bearer token (as well as any API token). */
  readonly metricsToken: string | undefined;
  /** /metrics answers without a token (`--metrics-public`). */
  readonly metricsPublic: boolean;
  /** The OpenAPI document (built once from the route table). */
  readonly openapi: () => Record<string, unknown>;
}

export interface HandlerInput<P, Q, B> extends Services {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /**
   * The raw body when it was sent as `application/gzip` to a route that takes BodyFormat.Bundle; then `body`
   * is not parsed (there is no JSON) and the handler reads this instead.
   */
  readonly bundle?: Buffer;
  /** The caller, for the audit log; for public routes the name is "anonymous". */
  readonly actor: Actor;
  /** The caller's role (public when anonymous), for a route where part of a request needs more than `role`. */
  readonly callerRole: Role;
  readonly request: FastifyRequest;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
/** Services hand out readonly views; a handler may return them as they are. */
type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
/** What a handler must return: the response schema's input (checked against it in tests). */
type Res<S> = S extends z.ZodType ? DeepReadonly<z.input<S>> : undefined;

interface RouteBase<P, Q, B> {
  readonly method: Method;
  /** OpenAPI style (`/api/v1/clusters/{cluster}`); app.ts turns `{x}` into Fastify's `:x`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly role: Role;
  /**
   * A route declared `Role.Public` whose handler checks the caller itself, as it takes a credential that is not
   * an API token (/metrics: its scrape token): the role it requires of an API token, unless configured open.
   */
  readonly checksCaller?: Role;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** Default: JSON only. */
  readonly bodyFormats?: readonly BodyFormat[];
  /** Problem statuses this operation can answer besides the ones every route has (400, 401, 403, 500). */
  readonly errors?: readonly number[];
  /** Bytes its JSON body may have (413 past it, unread); default the hub's (DEFAULT_BODY_LIMIT, 2 MiB). */
  readonly bodyLimit?: number;
}

export interface JsonRoute<
  P = Schema | undefined,
  Q = Schema | undefined,
  B = Schema | undefined,
  R = Schema | undefined,
> extends RouteBase<P, Q, B> {
  readonly kind: 'json';
  readonly status: 200 | 201 | 202 | 204;
  /**
   * GET only: answered with an ETag (a hash of the body) and `Cache-Control: no-cache`; a request whose
   * If-None-Match names the current tag gets 304 and no body (src/server/etag.ts).
   */
  readonly etag?: true;
  /** Undefined for 202 and 204 (no body). */
  readonly response: R;
  readonly handler: (input: HandlerInput<Out<P>, Out<Q>, Out<B>>) => Promise<Res<R>>;
}

/** A route that writes its own response (the SSE stream); `response` documents one message's data. */
export interface StreamRoute<P = Schema | undefined, Q = Schema | undefined> extends RouteBase<
  P,
  Q,
  undefined
> {
  readonly kind: 'stream';
  readonly contentType: string;
  readonly response: Schema;
  readonly handler: (input: HandlerInput<Out<P>, Out<Q>, unknown>, reply: FastifyReply) => Promise<void>;
}

/**
 * Any route of the table. Each route's schemas are read (covariant) and its handler is called with their
 * parsed values (contravariant), so no single type argument (`unknown`, `never`) admits every route; TypeScript
 * has no existential types, so `any` stands for "some schemas, matched by jsonRoute() when declared".
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: existential type parameters
export type AnyRoute = JsonRoute<any, any, any, any> | StreamRoute<any, any>;

/** Declares a JSON route with its handler typed from its schemas. */
export function jsonRoute<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Schema | undefined = undefined,
>(route: Omit<JsonRoute<P, Q, B, R>, 'kind'>): JsonRoute<P, Q, B, R> {
  return { ...route, kind: 'json' };
}

export function streamRoute<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
>(route: Omit<StreamRoute<P, Q>, 'kind'>): StreamRoute<P, Q> {
  return { ...route, kind: 'stream' };
}

export const API_PREFIX = '/api/v1';
