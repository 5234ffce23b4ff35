// A cluster-wide health rules file (`strata health apply -f rules.yaml`), in the profile's own grammar:
//
//   apiVersion: strata.dev/v1alpha1
//   kind: HealthRules
//   spec:
//     healthChecks: [ …same entries as a profile's spec.healthChecks… ]
//
// Parsed with the profile's YAML limits and positioned errors; each expression is compiled here.
import * as z from 'zod';
import type { HealthRuleSpec } from '../health-rules/index.js';
import { isRecord } from '../shared/guards.js';
import { describeValue } from './describe.js';
import { IssueKind, type ProfileIssue, type ProfileResult } from './errors.js';
import { normalizeHealthChecks } from './health-checks.js';
import { firstLine } from './normalize.js';
import { MAX_PROFILE_BYTES, plainDocument } from './parse.js';
import { API_VERSION, healthCheckSchema, MAX_HEALTH_CHECKS } from './schema.js';
import { isEmptyDocument, YamlSource } from './source.js';
import { documentProblems, readYaml } from './yaml-limits.js';
import { translateZodIssues } from './zod-issues.js';

export const HEALTH_RULES_KIND = 'HealthRules';

export const healthRulesFileSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(HEALTH_RULES_KIND),
  metadata: z.strictObject({ name: z.string().optional() }).optional(),
  spec: z.strictObject({
    healthChecks: z
      .array(healthCheckSchema)
      .max(MAX_HEALTH_CHECKS, { error: `expected at most ${MAX_HEALTH_CHECKS} health checks` }),
  }),
});

export function parseHealthRulesFile(
  text: string,
  options: { file: string },
): ProfileResult<HealthRuleSpec[]> {
  const start = { file: options.file, line: 1, column: 1 };
  const fail = (kind: ProfileIssue['kind'], message: string): ProfileResult<HealthRuleSpec[]> => ({
    ok: false,
    issues: [{ ...start, kind, path: '', message }],
  });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PROFILE_BYTES) {
    return fail(IssueKind.TooLarge, `file is ${bytes} bytes; the limit is ${MAX_PROFILE_BYTES} (1 MiB)`);
  }
  let yaml: ReturnType<typeof readYaml>;
  try {
    yaml = readYaml(text);
  } catch (error) {
    return fail(
      IssueKind.Yaml,
      `invalid YAML: ${error instanceof Error ? firstLine(error.message) : 'unreadable'}`,
    );
  }
  const docs = yaml.docs.filter((d) => !isEmptyDocument(d));
  const yamlIssues = [...yaml.problems, ...docs.flatMap((d) => documentProblems(d))].map(
    (problem): ProfileIssue => {
      const { line, col } = yaml.lineCounter.linePos(problem.offset);
      return {
        file: options.file,
        line,
        column: col,
        kind: IssueKind.Yaml,
        path: '',
        message: `invalid YAML: ${firstLine(problem.message)}`,
      };
    },
  );
  if (yamlIssues.length > 0) return { ok: false, issues: yamlIssues };
  const [doc, second] = docs;
  if (doc === undefined)
    return fail(IssueKind.MissingField, `expected a ${HEALTH_RULES_KIND} document; the file is empty`);
  const source = new YamlSource({ file: options.file, doc, lineCounter: yaml.lineCounter, text });
  if (second !== undefined) {
    const at = new YamlSource({ file: options.file, doc: second, lineCounter: yaml.lineCounter, text });
    return {
      ok: false,
      issues: [
        {
          ...at.position([]),
          kind: IssueKind.Yaml,
          path: '',
          message: `expected one ${HEALTH_RULES_KIND} document`,
        },
      ],
    };
  }
  const data = plainDocument(doc, source);
  if (!data.ok) return data;
  if (!isRecord(data.value)) {
    return fail(IssueKind.Type, `expected a ${HEALTH_RULES_KIND} mapping; got ${describeValue(data.value)}`);
  }
  const parsed = healthRulesFileSchema.safeParse(data.value);
  if (!parsed.success) {
    return {
      ok: false,
      issues: translateZodIssues(parsed.error.issues, {
        schema: healthRulesFileSchema,
        input: data.value,
        source,
      }),
    };
  }
  const { specs, issues } = normalizeHealthChecks(parsed.data.spec.healthChecks, source);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: specs };
}
