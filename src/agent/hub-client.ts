// The agent's side of the agent routes (src/server/routes/agent.ts): its desired state (If-None-Match, so an
// idle poll is a 304), chart archives by digest, the statuses the hub stored, and event batches. Answers are
// checked with the same schemas the hub declares them with (src/hub/agents-protocol.ts).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  AgentAckSchema,
  AgentDesiredSchema,
  AgentStatusesSchema,
  MAX_AGENT_CHART_BYTES,
  type AgentAck,
  type AgentDesired,
  type OutboxBatch,
} from './protocol.js';
import { plainHttpRefusal, redirectTarget } from '../shared/plain-http.js';

export const HubFailure = {
  /** No answer, or a 5xx/429: try again later. */
  Unavailable: 'unavailable',
  /** 401/403: the token was revoked, or is not this cluster's agent token. */
  Refused: 'refused',
  /** The hub has lost its record of this stream (AGENT_SEQUENCE_GAP). */
  SequenceGap: 'sequence-gap',
  /** Anything else the hub refused (a 4xx): not retried as is. */
  Rejected: 'rejected',
  /**
   * A redirect, never followed: the hub URL, or a proxy in front of the hub, is misconfigured, which someone may
   * mend while the agent runs; so it is said and tried again later, like an unavailable hub.
   */
  Redirected: 'redirected',
} as const;
export type HubFailure = (typeof HubFailure)[keyof typeof HubFailure];

export class HubRequestError extends Error {
  constructor(
    readonly kind: HubFailure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'HubRequestError';
  }
}

export interface HubClientOptions {
  /** The hub's base URL, e.g. https://strata.example.com. */
  readonly hub: string;
  readonly token: string;
  /** Send the token over plain http:// to a hub on another machine (refused otherwise: shared/plain-http.ts). */
  readonly insecureHttp?: boolean;
  readonly fetch?: typeof fetch;
  /** Per request. Default 30 s. */
  readonly timeoutMs?: number;
}

const ProblemSchema = z.looseObject({ code: z.string().optional(), detail: z.string().optional() });

export class HubClient {
  private etag: string | undefined;
  private readonly fetch: typeof fetch;
  private readonly base: string;

  constructor(private readonly options: HubClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.base = options.hub.replace(/\/+$/, '');
    const refusal = plainHttpRefusal(this.base, { insecureHttp: options.insecureHttp === true });
    if (refusal !== undefined) throw new HubRequestError(HubFailure.Rejected, `the hub URL: ${refusal}`);
  }

  /** The desired state, or undefined when it has not changed since the last answer. */
  async desired(): Promise<AgentDesired | undefined> {
    const res = await this.request('GET', '/api/v1/agent/desired', {
      ...(this.etag === undefined ? {} : { 'if-none-match': this.etag }),
    });
    if (res.status === 304) return undefined;
    const desired = parse(AgentDesiredSchema, await res.json(), 'desired state');
    this.etag = res.headers.get('etag') ?? undefined;
    return desired;
  }

  /** Forget the last answer: the next desired() returns the state even if it has not changed. */
  forgetDesired(): void {
    this.etag = undefined;
  }

  /**
   * A chart archive, checked against its digest. The hub sends it as application/octet-stream; it is hashed as
   * it arrives and read to MAX_AGENT_CHART_BYTES at most.
   */
  async chart(digest: string): Promise<Buffer> {
    const path = `/api/v1/agent/charts/${digest}`;
    const res = await this.request('GET', path, { accept: 'application/octet-stream' });
    const what = `chart ${digest}`;
    const announced = Number(res.headers.get('content-length') ?? Number.NaN);
    if (announced > MAX_AGENT_CHART_BYTES) {
      await res.body?.cancel();
      throw new HubRequestError(
        HubFailure.Rejected,
        `${what}: the hub announced ${announced} bytes, over the ${MAX_AGENT_CHART_BYTES} a chart may have`,
      );
    }
    const hash = createHash('sha256');
    const parts: Buffer[] = [];
    let size = 0;
    // Node's fetch types the body's chunks as any: they are bytes.
    const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
    try {
      for (;;) {
        const read = await reader?.read();
        if (read === undefined || read.done) break;
        size += read.value.length;
        if (size > MAX_AGENT_CHART_BYTES) {
          await reader?.cancel();
          throw new HubRequestError(
            HubFailure.Rejected,
            `${what}: the hub sent more than the ${MAX_AGENT_CHART_BYTES} bytes a chart may have`,
          );
        }
        hash.update(read.value);
        parts.push(Buffer.from(read.value));
      }
    } catch (error) {
      if (error instanceof HubRequestError) throw error;
      throw new HubRequestError(
        HubFailure.Unavailable,
        `hub ${this.base} broke off ${what} after ${size} bytes: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const actual = hash.digest('hex');
    if (actual !== digest) {
      throw new HubRequestError(HubFailure.Rejected, `${what}: the hub sent content with digest ${actual}`);
    }
    return Buffer.concat(parts, size);
  }

  async statuses(): Promise<z.output<typeof AgentStatusesSchema>> {
    const res = await this.request('GET', '/api/v1/agent/statuses');
    return parse(AgentStatusesSchema, await res.json(), 'stored statuses');
  }

  async push(batch: OutboxBatch): Promise<AgentAck> {
    const res = await this.request(
      'POST',
      '/api/v1/agent/events',
      { 'content-type': 'application/json' },
      JSON.stringify(batch),
    );
    return parse(AgentAckSchema, await res.json(), 'acknowledgement');
  }

  private async request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<Response> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await this.fetch(url, {
        method,
        headers: { accept: 'application/json', ...headers, authorization: `Bearer ${this.options.token}` },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        // Not followed: the request, its token and the answer the agent trusts would come from another host.
        redirect: 'manual',
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new HubRequestError(
        HubFailure.Unavailable,
        `hub ${this.base} did not answer ${method} ${path}: ${error instanceof Error ? error.message : String(error)}${cause}`,
        { cause: error },
      );
    }
    if (res.ok || res.status === 304) return res;
    if (res.status >= 300 && res.status < 400) {
      const where = redirectTarget(res.headers.get('location'), url);
      throw new HubRequestError(
        HubFailure.Redirected,
        `hub ${this.base} answered ${method} ${path} with a redirect (${res.status}) to ${where}: the agent does not follow redirects; set its hub URL to the hub's own (or mend the proxy in front of it)`,
      );
    }
    const text = await res.text().catch(() => '');
    let problem: z.output<typeof ProblemSchema> = {};
    try {
      problem = ProblemSchema.parse(JSON.parse(text));
    } catch {
      // Not problem+json (a proxy's page): the status says enough.
    }
    const detail = `hub ${this.base} answered ${method} ${path} with ${res.status}${problem.detail === undefined ? '' : `: ${problem.detail}`}`;
    if (res.status === 401 || res.status === 403) throw new HubRequestError(HubFailure.Refused, detail);
    if (problem.code === 'AGENT_SEQUENCE_GAP') throw new HubRequestError(HubFailure.SequenceGap, detail);
    if (res.status === 429 || res.status >= 500 || problem.code === 'CLUSTER_UNREACHABLE')
      throw new HubRequestError(HubFailure.Unavailable, detail);
    throw new HubRequestError(HubFailure.Rejected, detail);
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new HubRequestError(
      HubFailure.Rejected,
      `the hub's ${what} is not what this agent understands: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid'} (are the hub and the agent the same version?)`,
    );
  }
  return result.data;
}
