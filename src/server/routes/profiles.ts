// Profiles: import (JSON with the YAML as a field, or the YAML itself as `application/yaml`), validate,
// list, versions, one version with its source.
import { z } from 'zod';
import {
  FileNameSchema,
  OutdatedChartSchema,
  ProfileSummarySchema,
  ProfileTextSchema,
  ProfileVersionSchema,
  ProfileWithSourceSchema,
  ValidationSchema,
} from '../schemas.js';
import { API_PREFIX, BodyFormat, jsonRoute, Role, roleRank, streamRoute } from '../route.js';
import { toProblemIssues } from '../to-problem.js';
import { untilClosed } from '../request-closed.js';
import { ApiError } from '../problem.js';
import { MAX_FILE_NAME } from '../../shared/file-name.js';

const ProfileParams = z.object({ profile: z.string().min(1) });
const VersionParams = ProfileParams.extend({ version: z.string().min(1) });

/** Query fields for a YAML or bundle body, which have no room for them (a JSON body carries them itself). */
const ProfileTextQuery = z.strictObject({
  file: FileNameSchema.optional().describe(
    `the name errors are reported against (YAML and bundle bodies; at most ${MAX_FILE_NAME} characters)`,
  ),
  draft: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('store as a draft instead of publishing (YAML and bundle bodies)'),
});

const yamlDescription =
  'Send JSON `{yaml, file?, draft?}` or the profile file itself with `Content-Type: application/yaml` for a ' +
  'profile without local charts or files; a profile with them goes as a bundle (`Content-Type: ' +
  'application/gzip`, see the request body), the only way local content reaches the hub: it never reads a ' +
  'path a request names. For YAML and bundle bodies, file and draft go in the query. A malformed bundle ' +
  'answers 422 BUNDLE_INVALID naming the entry (413 BUNDLE_TOO_LARGE over 20 MiB), and nothing is stored.';

/** The upload: the bundle when one was sent, else the text; the JSON body's fields win over the query's. */
const profileUpload = (
  query: z.output<typeof ProfileTextQuery>,
  body: z.output<typeof ProfileTextSchema> | undefined,
  bundle: Buffer | undefined,
) => {
  const options = {
    ...(query.file === undefined ? {} : { file: query.file }),
    ...(query.draft === undefined ? {} : { draft: query.draft }),
  };
  if (bundle !== undefined) return { ...options, bundle };
  if (body === undefined) throw new ApiError(400, 'INVALID_REQUEST', 'body: a request body is required');
  return { ...options, ...body };
};

export const profileRoutes = [
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/profiles`,
    operationId: 'importProfile',
    tag: 'profiles',
    summary: 'Import a profile file (one or more documents): publishes a new version of each',
    description: `${yamlDescription} Invalid profiles answer 422 PROFILE_INVALID with positioned issues.`,
    role: Role.Operator,
    query: ProfileTextQuery,
    body: ProfileTextSchema,
    bodyFormats: [BodyFormat.Json, BodyFormat.Yaml, BodyFormat.Bundle],
    status: 201,
    response: z.array(ProfileVersionSchema),
    errors: [409, 413, 415, 422, 429, 503],
    handler: ({ hub, query, body, bundle, actor }) =>
      hub.importProfile(profileUpload(query, body, bundle), actor),
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/profiles/validate`,
    operationId: 'validateProfile',
    tag: 'profiles',
    summary: 'Validate a profile file without storing it',
    description:
      `${yamlDescription} Otherwise 200 for a readable request: \`valid\` says whether it is a profile. ` +
      'Chart hosts are checked against the outbound policy (STRATA_OUTBOUND_DENY) as publishing checks them, ' +
      'except that for a viewer token the hub looks no host name up in DNS (only hosts written as addresses ' +
      'are checked): what a name reaches from the hub is not for a read-only token to probe. Validations never ' +
      'hold every check thread nor more than half the queue (503 HUB_BUSY): imports keep room.',
    role: Role.Viewer,
    query: ProfileTextQuery,
    body: ProfileTextSchema,
    bodyFormats: [BodyFormat.Json, BodyFormat.Yaml, BodyFormat.Bundle],
    status: 200,
    response: ValidationSchema,
    errors: [413, 415, 422, 429, 503],
    handler: async ({ hub, query, body, bundle, callerRole, actor, request }) => {
      const operator = roleRank[callerRole] >= roleRank[Role.Operator];
      // A client that closes its request gives up its check (request-closed.ts).
      const issues = await untilClosed(request, (signal) =>
        hub.validateProfile(profileUpload(query, body, bundle), {
          resolveChartHosts: operator,
          // Waiting places are shared per token (fair-waiting.ts).
          owner: { key: actor.tokenId ?? actor.name, privileged: operator },
          signal,
        }),
      );
      return { valid: issues.length === 0, issues: toProblemIssues(issues) };
    },
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/profiles`,
    operationId: 'listProfiles',
    tag: 'profiles',
    summary: 'List profiles with their latest version',
    role: Role.Viewer,
    status: 200,
    etag: true,
    response: z.array(ProfileSummarySchema),
    handler: ({ hub }) => hub.listProfiles(),
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/profiles/{profile}/versions`,
    operationId: 'listProfileVersions',
    tag: 'profiles',
    summary: "A profile's versions, oldest first",
    role: Role.Viewer,
    params: ProfileParams,
    status: 200,
    response: z.array(ProfileVersionSchema),
    errors: [404],
    handler: ({ hub, params }) => hub.profileVersions(params.profile),
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/profiles/{profile}/versions/{version}`,
    operationId: 'getProfileVersion',
    tag: 'profiles',
    summary: 'One version of a profile, with its YAML source',
    role: Role.Viewer,
    params: VersionParams,
    status: 200,
    response: ProfileWithSourceSchema,
    errors: [404],
    handler: ({ hub, params }) => hub.getProfile(params.profile, params.version),
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/profiles/{profile}/versions/{version}/outdated`,
    operationId: 'getOutdatedCharts',
    tag: 'profiles',
    summary: 'For each remote chart of a version, the newer versions its repository or registry has now',
    description:
      'Asks each chart source now (with its stored credentials); the version keeps rendering the archives it ' +
      'pinned at publish. A source that cannot be asked is reported per chart in `error`.',
    role: Role.Viewer,
    params: VersionParams,
    status: 200,
    response: z.array(OutdatedChartSchema),
    errors: [404, 429],
    handler: ({ hub, params }) => hub.outdatedCharts(params.profile, params.version),
  }),
  streamRoute({
    method: 'GET',
    path: `${API_PREFIX}/profiles/{profile}/versions/{version}/bundle`,
    operationId: 'getProfileBundle',
    tag: 'profiles',
    summary:
      'One version of a profile as a bundle: its source with every local chart and file it was published with',
    description: 'The same format `POST /profiles` takes as `application/gzip`.',
    role: Role.Viewer,
    params: VersionParams,
    contentType: 'application/gzip',
    response: z.string().describe('a profile bundle (binary)'),
    errors: [404, 429],
    handler: async ({ hub, params }, reply) => {
      const bundle = await hub.profileBundle(params.profile, params.version);
      const name = `${params.profile}-${params.version}.tgz`.replace(/[^\w.@-]/g, '_');
      await reply
        .code(200)
        .type('application/gzip')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(bundle);
    },
  }),
];
