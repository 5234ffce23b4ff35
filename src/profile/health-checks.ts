// `spec.healthChecks`: health rules for the custom resources of a profile's packs. Each expression is
// compiled and checked here, so a typo is a positioned profile error at upload, not a pack stuck blue.
import {
  compileHealthRule,
  HealthRuleOrigin,
  isBuiltinGroup,
  type HealthRuleSpec,
} from '../health-rules/index.js';
import { parseDuration } from '../shared/duration.js';
import { describeValue } from './describe.js';
import { IssueKind, type ProfileIssue } from './errors.js';
import { formatPath, type FieldPath } from './model.js';
import type { HealthCheckFile } from './schema.js';
import type { ProfileSource } from './source.js';

/** Health checks as plain rule specs (stored with the profile), or every issue, each positioned. */
export function normalizeHealthChecks(
  checks: readonly HealthCheckFile[] | undefined,
  source: ProfileSource,
  basePath: FieldPath = ['spec', 'healthChecks'],
): { specs: HealthRuleSpec[]; issues: ProfileIssue[] } {
  const issues: ProfileIssue[] = [];
  const add = (path: FieldPath, message: string, kind: ProfileIssue['kind'] = IssueKind.InvalidValue) => {
    issues.push({ ...source.position(path), kind, path: formatPath(path), message });
  };
  const specs: HealthRuleSpec[] = [];
  const seen = new Map<string, number>();
  (checks ?? []).forEach((check, index) => {
    const path = [...basePath, index];
    const before = issues.length;
    const group = check.apiVersion.slice(0, check.apiVersion.indexOf('/'));
    if (isBuiltinGroup(group)) {
      add(
        [...path, 'apiVersion'],
        `health rules are for custom resources; ${check.apiVersion} is served by Kubernetes itself and has its own rules`,
      );
    }
    const key = `${group}/${check.kind}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else
      add(
        [...path, 'kind'],
        `duplicate health rule for ${key}; first in ${formatPath([...basePath, first])}`,
        IssueKind.Duplicate,
      );
    let graceSeconds: number | undefined;
    if (check.grace !== undefined) {
      const ms = parseDuration(check.grace);
      if (ms === undefined)
        add(
          [...path, 'grace'],
          `expected a positive duration like 30s or 2m; got ${describeValue(check.grace)}`,
        );
      else graceSeconds = ms / 1000;
    }
    const spec: HealthRuleSpec = {
      apiVersion: check.apiVersion,
      kind: check.kind,
      current: check.current,
      ...(check.inProgress === undefined ? {} : { inProgress: check.inProgress }),
      ...(check.failed === undefined ? {} : { failed: check.failed }),
      ...(check.message === undefined ? {} : { message: check.message }),
      ...(graceSeconds === undefined ? {} : { graceSeconds }),
    };
    const compiled = compileHealthRule(spec, { origin: HealthRuleOrigin.Pack });
    if (!compiled.ok) {
      for (const issue of compiled.issues) {
        const fieldPath = [...path, issue.field];
        issues.push({
          ...source.stringPosition(fieldPath, { line: issue.line, column: issue.column }),
          kind: IssueKind.InvalidValue,
          path: formatPath(fieldPath),
          message: `CEL: ${issue.message}`,
        });
      }
    }
    if (issues.length === before) specs.push(spec);
  });
  return { specs, issues };
}
