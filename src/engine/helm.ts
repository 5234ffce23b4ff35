import { execFile } from 'node:child_process';
import { ChartSourceKind, type HelmPack } from '../profile/index.js';
import { assertNever } from '../status/index.js';
import { EngineError, EngineErrorCode } from './errors.js';

export interface HelmTemplateOptions {
  /** The helm binary (testenv/build pins and builds it). */
  readonly helmBin: string;
  /** For a local chart: the chart folder or archive to render, a path the hub chose (never a client's). */
  readonly chartFile?: string;
  /** Passed as --kube-version so charts gating on .Capabilities see the real cluster's version. */
  readonly kubeVersion?: string;
  readonly timeoutMs?: number;
}

/**
 * Renders a Helm pack with the real `helm template` (ADR 0002: Strata renders with Helm and applies with
 * server-side apply itself, so every object is watched and pruned the same way whatever its source). Values
 * go in on stdin as JSON (valid YAML), so nothing sensitive lands in a temp file or the process list.
 */
export function helmTemplate(pack: HelmPack, options: HelmTemplateOptions): Promise<string> {
  const args = ['template', pack.releaseName];
  const chart = pack.chart;
  switch (chart.kind) {
    case ChartSourceKind.Local:
      if (options.chartFile === undefined)
        return Promise.reject(
          new EngineError(
            EngineErrorCode.RenderFailed,
            `local chart ${JSON.stringify(chart.path)} has no stored archive to render`,
          ),
        );
      args.push(options.chartFile);
      break;
    case ChartSourceKind.Repo:
      args.push(chart.name, '--repo', chart.repo, '--version', chart.version);
      break;
    case ChartSourceKind.Oci:
      args.push(chart.ref, '--version', chart.version);
      break;
    default:
      assertNever(chart, 'chart source');
  }
  args.push('--namespace', pack.namespace.name, '--include-crds', '--skip-tests', '--values', '-');
  if (options.kubeVersion) args.push('--kube-version', options.kubeVersion);

  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      options.helmBin,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, env: helmEnv() },
      (error, stdout, stderr) => {
        if (!error) {
          resolvePromise(stdout);
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(
            new EngineError(EngineErrorCode.HelmMissing, `helm not found at ${options.helmBin}`, {
              cause: error,
            }),
          );
          return;
        }
        // Helm's own message is the useful part ("Error: template: x/templates/y.yaml:3:5: ...").
        const detail = stderr.trim().replace(/^Error: /, '') || error.message;
        reject(
          new EngineError(EngineErrorCode.RenderFailed, `helm template failed: ${detail}`, { cause: error }),
        );
      },
    );
    child.stdin?.end(JSON.stringify(pack.values));
  });
}

/** Helm keeps repository caches under HOME; keep them out of the user's own Helm set-up. */
function helmEnv(): NodeJS.ProcessEnv {
  return { ...process.env, HELM_NAMESPACE: '' };
}
