// The OpenAPI 3.1 document, generated from the route table: zod → JSON Schema draft 2020-12 (the dialect
// OpenAPI 3.1 uses). Schemas named with `.meta({ id })` become `components.schemas` and are referenced.
import { z } from 'zod';
import { HEAVY_OPERATIONS } from './heavy-requests.js';
import { PROBLEM_CONTENT_TYPE, ProblemSchema, statusTitle } from './problem.js';
import { BodyFormat, Role, type AnyRoute } from './route.js';

type Json = Record<string, unknown>;

export interface OpenApiOptions {
  readonly version: string;
  /** `servers[0].url`; default the default listen address. */
  readonly serverUrl?: string;
}

/** Every route can answer these (validation, auth, the unexpected). */
const COMMON_ERRORS = [400, 500] as const;

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) {
      out[key] = `#/components/schemas/${inner.slice('#/$defs/'.length)}`;
    } else {
      out[key] = rewriteRefs(inner);
    }
  }
  return out;
}

/** One zod schema as JSON Schema; its named parts go into `components`. */
function toSchema(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const raw = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  const { $schema: _, $defs, ...rest } = raw;
  for (const [id, def] of Object.entries(($defs ?? {}) as Json)) components[id] = rewriteRefs(def);
  // A schema that is itself named comes back as `{$ref, $defs}`: keep the ref.
  return rewriteRefs(rest) as Json;
}

function parameters(route: AnyRoute, components: Json): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (schema === undefined) continue;
    const object = toSchema(schema as z.ZodType, 'input', components);
    const properties = (object.properties ?? {}) as Json;
    const required = new Set((object.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      const { description, ...propertySchema } = property as Json;
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        schema: propertySchema,
        ...(typeof description === 'string' ? { description } : {}),
      });
    }
  }
  return out;
}

/** Why a status is answered, where its title alone would not say. */
const statusNotes: Record<number, string> = {
  414: 'URI Too Long: a path parameter is longer than 100 characters (code PATH_PARAMETER_TOO_LONG)',
  429:
    "Too Many Requests: the caller's token is over its share (its costly requests in progress, its share of a " +
    "queue or of the viewers' room, its body bytes in flight; code TOO_MANY_REQUESTS or another TOO_MANY_* " +
    'code): Retry-After says when to send it again',
  503:
    'Service Unavailable: the hub itself is full (code HUB_BUSY: a work queue held by other tokens, an ' +
    "operation's hub-wide cap, the body budget) or could not do it now: Retry-After says when to send it again",
};

const problemResponse = (status: number): Json => ({
  description: statusNotes[status] ?? statusTitle(status),
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});

function operation(route: AnyRoute, components: Json): Json {
  const responses: Json = {};
  if (route.kind === 'json') {
    responses[String(route.status)] =
      route.response === undefined
        ? { description: route.status === 202 ? 'Accepted' : 'No Content' }
        : {
            description: route.summary,
            content: {
              'application/json': { schema: toSchema(route.response as z.ZodType, 'output', components) },
            },
          };
  } else {
    responses['200'] = {
      description: route.summary,
      content: { [route.contentType]: { schema: toSchema(route.response, 'output', components) } },
    };
  }
  if (route.kind === 'json' && route.etag === true) {
    responses[String(route.status)] = {
      ...(responses[String(route.status)] as Json),
      headers: {
        ETag: {
          description: 'a hash of the body: send it back as If-None-Match',
          schema: { type: 'string' },
        },
      },
    };
    responses['304'] = {
      description: 'Not Modified: If-None-Match names the current ETag; no body',
      headers: { ETag: { schema: { type: 'string' } } },
    };
  }
  const statuses = new Set<number>([...COMMON_ERRORS, ...(route.errors ?? [])]);
  // A costly request is refused past its token's share (429) or when the hub is full (heavy-requests.ts).
  if (HEAVY_OPERATIONS.has(route.operationId)) {
    statuses.add(429);
    statuses.add(503);
  }
  // The router refuses long path parameters before the route runs (app.ts MAX_PARAM_LENGTH).
  if (route.params !== undefined) statuses.add(414);
  if (route.role !== Role.Public) {
    statuses.add(401);
    statuses.add(403);
  }
  for (const status of [...statuses].sort()) responses[String(status)] = problemResponse(status);

  const op: Json = {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: [route.tag],
    'x-strata-role': route.role,
    security: route.role === Role.Public ? [] : [{ bearer: [] }],
    parameters: parameters(route, components),
    responses,
  };
  if (route.kind === 'json' && route.body !== undefined) {
    const schema = toSchema(route.body as z.ZodType, 'input', components);
    const formats = route.bodyFormats ?? [BodyFormat.Json];
    const content: Json = { 'application/json': { schema } };
    if (formats.includes(BodyFormat.Yaml)) {
      content['application/yaml'] = { schema: { type: 'string', description: 'the profile file itself' } };
    }
    if (formats.includes(BodyFormat.Bundle)) {
      content['application/gzip'] = {
        schema: {
          type: 'string',
          format: 'binary',
          description:
            'a profile bundle: a gzip-compressed tar with `profile.yaml` (the profile file) and `bundle.json` ' +
            '(`{"sha256": {"<path>": "<hex digest>"}}`) at its root, and each local chart (packaged as a ' +
            'chart archive under its path as written) and manifest file the profile references, under its ' +
            'path. Only regular files; at most 20 MiB; every entry listed with its digest and referenced.',
        },
      };
    }
    op.requestBody = { required: true, content };
  }
  return op;
}

export function buildOpenApi(routes: readonly AnyRoute[], options: OpenApiOptions): Json {
  const components: Json = {};
  toSchema(ProblemSchema, 'output', components);
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(route, components);
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Strata hub API',
      version: options.version,
      description:
        'Cluster profiles, clusters, attachments and live pack status. Authenticate with ' +
        '`Authorization: Bearer <token>`; each operation names its role in `x-strata-role` ' +
        '(viewer < operator < admin). Errors are application/problem+json with a stable `code`.',
    },
    servers: [{ url: options.serverUrl ?? 'http://127.0.0.1:7400' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'a Strata API token (strata_…)' },
      },
    },
  };
}
