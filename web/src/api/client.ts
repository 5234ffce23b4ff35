// Every call to the hub: JSON with the bearer token, problem+json errors as typed ApiProblem instances.
import type { Problem } from './types';

export const API = '/api/v1';

/** An answer of the API that is not 2xx, with its problem document when it sent one. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, fallback: string) {
    super(problem?.detail ?? fallback);
    this.name = 'ApiProblem';
    this.status = status;
    this.code = problem?.code ?? `HTTP_${status}`;
    this.problem = problem;
  }
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly body?: unknown;
  /**
   * Send `body` as is with this content type instead of JSON: a profile file as application/yaml, a profile
   * bundle (a file the user chose) as application/gzip.
   */
  readonly text?: { readonly body: string | Blob; readonly contentType: string };
  readonly signal?: AbortSignal;
}

type Listener = (problem: ApiProblem) => void;
const unauthorizedListeners = new Set<Listener>();

/** Told about every 401, so the app can send the user back to the login screen. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export class Api {
  /**
   * `reportUnauthorized`: tell the onUnauthorized listeners about a 401 (the signed-in session's client); off
   * while a token is being checked at sign-in, where a 401 is just a wrong token.
   */
  constructor(
    readonly token: string,
    private readonly options: { readonly reportUnauthorized?: boolean } = {},
  ) {}

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    let body: string | Blob | undefined;
    if (options.text) {
      headers['content-type'] = options.text.contentType;
      body = options.text.body;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${API}${path}`, {
      method: options.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.ok) {
      const problem = await readProblem(response);
      const error = new ApiProblem(response.status, problem, `${response.status} ${response.statusText}`);
      if (response.status === 401 && this.options.reportUnauthorized === true)
        for (const l of unauthorizedListeners) l(error);
      throw error;
    }
    if (response.status === 204 || response.status === 202) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>(path, signal ? { signal } : {});
  }
}

export async function readProblem(response: Response): Promise<Problem | undefined> {
  try {
    const value: unknown = await response.json();
    if (typeof value === 'object' && value !== null && 'detail' in value) return value as Problem;
  } catch {
    // Not JSON (a proxy's error page): the status line is all there is.
  }
  return undefined;
}

export const enc = encodeURIComponent;
