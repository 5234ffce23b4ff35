// Health rules: the cluster-wide rules an admin applies (versioned), and trying rules on an object, from a
// file or live in a cluster, before shipping them (issue 14).
import { z } from 'zod';
import { API_PREFIX, BodyFormat, jsonRoute, Role, roleRank } from '../route.js';
import { ApiError } from '../problem.js';
import { untilClosed } from '../request-closed.js';
import { FileNameSchema, NameSchema, ResourceStateSchema } from '../schemas.js';

const HealthRuleSpecSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    current: z.string(),
    inProgress: z.string().optional(),
    failed: z.string().optional(),
    message: z.string().optional(),
    graceSeconds: z.number().optional(),
  })
  .meta({ id: 'HealthRule' });

const HealthRulesSchema = z
  .object({
    version: z.number().int(),
    rules: z.array(HealthRuleSpecSchema),
    source: z.string().describe('the HealthRules file as applied'),
    actorName: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'HealthRules' });

const HealthRulesTextSchema = z
  .strictObject({
    yaml: z.string().min(1).describe('a HealthRules file (apiVersion strata.dev/v1alpha1, kind HealthRules)'),
    file: FileNameSchema.optional(),
  })
  .meta({ id: 'HealthRulesText' });

/** `v1`, `apps/v1`, `cert-manager.io/v1beta1`: a DNS-subdomain group (optional) and a version. */
const API_VERSION =
  /^(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*\/)?[a-z0-9]{1,63}$/;

// Kubernetes' own bounds: the answer quotes these names (`… not found in cluster …`, a verdict's rule).
const ObjectNameSchema = z.string().min(1).max(253);
const NamespaceSchema = z.string().max(63);
/** A group is a DNS subdomain (at most 253), then `/` and a version of at most 63. */
const MAX_API_VERSION = 253 + 1 + 63;
// The length is checked first and ends the parse: no pattern runs on a longer string.
const ApiVersionSchema = z
  .string()
  .max(MAX_API_VERSION, { error: `must be at most ${MAX_API_VERSION} characters`, abort: true })
  .regex(API_VERSION, 'must be "version" or "group/version", e.g. "v1" or "apps/v1"');
/** A kind is a DNS-1035 label once lowercased: at most 63 (apiextensions' CRD validation). */
const KindSchema = z
  .string()
  .max(63, { error: 'must be at most 63 characters', abort: true })
  .regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, 'must be a kind, e.g. "Deployment"');

const HealthTestSchema = z
  .strictObject({
    rules: z
      .string()
      .optional()
      .describe('a HealthRules file to try; its rules win over the cluster-wide ones'),
    file: FileNameSchema.optional(),
    object: z
      .looseObject({
        apiVersion: ApiVersionSchema,
        kind: KindSchema,
        metadata: z.looseObject({ name: ObjectNameSchema, namespace: NamespaceSchema.optional() }),
      })
      .optional()
      .describe('the object as a file holds it (JSON)'),
    live: z
      .strictObject({
        cluster: NameSchema,
        apiVersion: ApiVersionSchema,
        kind: KindSchema,
        namespace: NamespaceSchema.optional(),
        name: ObjectNameSchema,
      })
      .optional()
      .describe(
        'or a live object of a registered cluster (admin only: the hub reads it with the cluster’s ' +
          'credentials; never a Secret)',
      ),
  })
  .meta({ id: 'HealthTest' });

const HealthVerdictSchema = z
  .object({
    state: ResourceStateSchema,
    reason: z.string(),
    message: z.string(),
    rule: z
      .object({ origin: z.string(), apiVersion: z.string(), kind: z.string() })
      .optional()
      .describe(
        'the rule that decided (pack = the rules under test); absent: a built-in or the generic rule',
      ),
  })
  .meta({ id: 'HealthVerdict' });

export const healthRoutes = [
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/health-rules`,
    operationId: 'getHealthRules',
    tag: 'health',
    summary: 'The cluster-wide health rules in force (404 before any were applied)',
    role: Role.Viewer,
    status: 200,
    response: HealthRulesSchema,
    errors: [404],
    handler: async ({ hub }) => {
      const current = await hub.healthRules.current();
      if (current === undefined) {
        throw new ApiError(404, 'NOT_FOUND', 'no cluster-wide health rules have been applied');
      }
      return current;
    },
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/health-rules`,
    operationId: 'applyHealthRules',
    tag: 'health',
    summary: 'Apply a HealthRules file: a new version of the cluster-wide rules, in force at once',
    description:
      'Send JSON `{yaml, file?}` or the file itself as `application/yaml`. Every expression is compiled and ' +
      'checked first; problems answer 422 HEALTH_RULES_INVALID with positioned issues and nothing is stored. ' +
      "A profile's own spec.healthChecks still win over these; these win over the built-in library.",
    role: Role.Admin,
    body: HealthRulesTextSchema,
    bodyFormats: [BodyFormat.Json, BodyFormat.Yaml],
    status: 201,
    response: HealthRulesSchema,
    errors: [422],
    handler: ({ hub, body, actor }) =>
      hub.healthRules.apply(
        { yaml: body.yaml, ...(body.file === undefined ? {} : { file: body.file }) },
        actor,
      ),
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/health-rules/test`,
    operationId: 'testHealthRules',
    tag: 'health',
    summary: 'The verdict of the health rules for an object (from a file, or live in a cluster)',
    description:
      'Rules: the given file (if any), then the cluster-wide ones, then the built-in library, then the generic ' +
      "rule. A live object of a custom kind also gets the wait for its controller's first status. " +
      "Trying rules on a live object needs the admin role: the hub reads it with the cluster's credentials " +
      "and the rules' message expressions could print any field of it; a Secret is never read.",
    role: Role.Viewer,
    body: HealthTestSchema,
    status: 200,
    response: HealthVerdictSchema,
    errors: [404, 422, 429],
    handler: ({ hub, body, callerRole, actor, request }) => {
      if (body.live !== undefined && roleRank[callerRole] < roleRank[Role.Admin]) {
        throw new ApiError(
          403,
          'FORBIDDEN',
          `trying rules on a live object needs the admin role (the hub reads it with cluster ${body.live.cluster}'s ` +
            `credentials); this token has ${callerRole}. Send the object as a file instead ("object").`,
          { requiredRole: Role.Admin },
        );
      }
      // A client that closes its request gives up its test (request-closed.ts).
      return untilClosed(request, (signal) =>
        hub.healthRules.test(
          {
            ...(body.rules === undefined ? {} : { rules: body.rules }),
            ...(body.file === undefined ? {} : { file: body.file }),
            ...(body.object === undefined ? {} : { object: body.object }),
            ...(body.live === undefined
              ? {}
              : {
                  live: {
                    cluster: body.live.cluster,
                    ref: {
                      apiVersion: body.live.apiVersion,
                      kind: body.live.kind,
                      name: body.live.name,
                      ...(body.live.namespace === undefined ? {} : { namespace: body.live.namespace }),
                    },
                  },
                }),
          },
          // Waiting places are shared per token; an operator's or admin's test is not held back by viewers'.
          { key: actor.tokenId ?? actor.name, privileged: roleRank[callerRole] >= roleRank[Role.Operator] },
          signal,
        ),
      );
    },
  }),
];
