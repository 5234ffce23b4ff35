import type { ObjectRef, PackStatus } from '../status/index.js';

/** What a cluster runner reports. It holds no HTTP or database code: whoever runs it decides where these go. */
export type RunnerEvent =
  | {
      readonly type: 'PackStatusChanged';
      readonly cluster: string;
      readonly pack: string;
      readonly profile: string;
      readonly status: PackStatus;
    }
  /** An uninstalled pack is gone from the cluster and from the page. */
  | { readonly type: 'PackRemoved'; readonly cluster: string; readonly pack: string; readonly time: string }
  | {
      readonly type: 'DriftDetected';
      readonly cluster: string;
      readonly pack: string;
      readonly ref: ObjectRef;
      /** e.g. `drift: Deployment monitoring/grafana deleted` */
      readonly message: string;
      /** true when the drift policy is `correct` and Strata re-applies. */
      readonly correcting: boolean;
      readonly time: string;
    }
  | {
      readonly type: 'ConnectionChanged';
      readonly cluster: string;
      readonly reachable: boolean;
      readonly error?: string;
      readonly time: string;
    };

export const DriftPolicy = { Correct: 'correct', Report: 'report' } as const;
export type DriftPolicy = (typeof DriftPolicy)[keyof typeof DriftPolicy];
