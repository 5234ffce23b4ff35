// Whether a cluster answers, before any pack asks for a watch (WatchSet.start): one watch of the `default`
// namespace, which the API server never lets anyone delete, so it holds one small object whatever the cluster
// runs. A refusal (403: an agent's RBAC from before this watch, a kubeconfig that may list namespaces but not watch
// them) is the API server answering: the cluster is reachable, and whether it stays so is told by the packs'
// watches (review 21) until the watch, asked for again every REACHABILITY_RETRY_MS, is let (session 16: it was gone
// for good, and a cluster with no packs was not seen going unreachable until the hub restarted).
import { KubeError, KubeErrorCode } from '../kube/index.js';

/** How often a refused reachability watch is asked for again: one list a minute. */
export const REACHABILITY_RETRY_MS = 60_000;

const REFUSED =
  'may not watch the namespace default (Forbidden): whether the cluster answers is told by its packs’ watches only';
const LET = 'may list the namespace default now: whether the cluster answers is told by its watch again';

export interface ReachabilityWatchOptions {
  /** Starts the watch; resolves once it listed (WatchSet's own watch of the namespace). */
  readonly watch: () => Promise<void>;
  /** Where the refusal is said, once, and the watch being let after one. */
  readonly log?: (line: string) => void;
  readonly retryMs: number;
  /**
   * A retry failed otherwise than refused (credentials refused, a denied address): the cluster is to be shown so,
   * with this failure, until a retry is answered. (A failure of the first attempt rejects start() instead.)
   */
  readonly onFailed: (error: unknown) => void;
  /** A retry was answered (listed, or refused): whatever onFailed showed no longer holds. */
  readonly onAnswered: () => void;
}

export class ReachabilityWatch {
  /** Whether the refusal was said (and not yet followed by the watch being let). */
  private said = false;
  /** While the watch is refused: the timer that asks for it again. */
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: ReachabilityWatchOptions) {}

  /** Resolves once the watch listed or was refused; rejects with any other failure (credentials refused: 401). */
  async start(): Promise<void> {
    this.stopped = false;
    if (!(await this.attempt())) this.askLater();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  /** Says the refusal, once: also for a watch that listed and whose watching is refused (WatchSet). */
  sayRefused(): void {
    if (this.said) return;
    this.said = true;
    this.options.log?.(REFUSED);
  }

  /** Whether the watch listed; false when it was refused (said once). */
  private async attempt(): Promise<boolean> {
    try {
      await this.options.watch();
      return true;
    } catch (error) {
      if (!refused(error)) throw error;
      this.sayRefused();
      return false;
    }
  }

  /** Asks for the refused watch again later, until it lists or this is stopped. */
  private askLater(): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.retry = undefined;
      if (this.stopped) return;
      this.attempt().then(
        (listed) => {
          if (this.stopped) return;
          this.options.onAnswered();
          if (!listed) {
            this.askLater();
            return;
          }
          this.said = false;
          this.options.log?.(LET);
        },
        (error: unknown) => {
          if (this.stopped) return;
          this.options.onFailed(error);
          this.askLater();
        },
      );
    }, this.options.retryMs);
    timer.unref();
    this.retry = timer;
  }
}

/**
 * The API server answered, refusing: a 403 carrying its `Status` (reason Forbidden). A 403 without one (an HTML
 * page from a gateway or proxy in front of it) proves nothing about the API server (review 22).
 */
export const refused = (error: unknown): boolean =>
  error instanceof KubeError && error.code === KubeErrorCode.Forbidden && error.reason === 'Forbidden';

/**
 * Failures that are the API server's own answer about the request (so it is reachable): refused, or the kind or
 * object unknown, or the request invalid. Not credentials refused, a denied address, a plugin's failure or
 * anything else that shows nothing answered (review 22).
 */
export const answered = (error: unknown): boolean =>
  refused(error) ||
  (error instanceof KubeError &&
    error.status !== undefined &&
    (error.code === KubeErrorCode.NotFound ||
      error.code === KubeErrorCode.UnknownKind ||
      error.code === KubeErrorCode.Invalid));
