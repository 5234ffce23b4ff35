import { request } from 'node:https';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';

export const PatchType = {
  Merge: 'application/merge-patch+json',
  Strategic: 'application/strategic-merge-patch+json',
} as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

export class RestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

/**
 * Plain JSON over the admin kubeconfig. The typed clients of @kubernetes/client-node turn responses into model
 * classes (timestamps become Date objects and lose their API form); fixtures must be exactly what the API
 * server returns, so the capture reads and writes raw JSON.
 */
export class Rest {
  private constructor(
    private readonly server: URL,
    private readonly tls: Record<string, unknown>,
  ) {}

  static async of(kc: KubeConfig): Promise<Rest> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const tls: Record<string, unknown> = {};
    await kc.applyToHTTPSOptions(tls);
    return new Rest(new URL(cluster.server), tls);
  }

  get<T = KubernetesObject>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  create<T extends KubernetesObject>(path: string, body: T): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T = KubernetesObject>(path: string, body: unknown, type: PatchType = PatchType.Merge): Promise<T> {
    return this.call<T>('PATCH', path, body, type);
  }

  delete(path: string): Promise<unknown> {
    return this.call('DELETE', path);
  }

  private call<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          ...this.tls,
          method,
          headers: {
            accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const code = res.statusCode ?? 0;
            if (code < 200 || code >= 300) {
              let message = text;
              try {
                message = (JSON.parse(text) as { message?: string }).message ?? text;
              } catch {
                // not JSON: keep the body as it is
              }
              reject(new RestError(code, `${method} ${path}: ${code}: ${message}`));
              return;
            }
            resolve(JSON.parse(text) as T);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.end(payload);
    });
  }
}
