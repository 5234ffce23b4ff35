// Profiles: import (JSON with the YAML as a field, or the YAML itself as `application/yaml`), validate,
// list, versions, one version with its source.
import { z } from 'zod';
import {
  ProfileSummarySchema,
  ProfileTextSchema,
  ProfileVersionSchema,
  ProfileWithSourceSchema,
  ValidationSchema,
} from '../schemas.js';
import { API_PREFIX, BodyFormat, jsonRoute, Role } from '../route.js';
import { toProblemIssue } from '../to-problem.js';

const ProfileParams = z.object({ profile: z.string().min(1) });
const VersionParams = ProfileParams.extend({ version: z.string().min(1) });

/** Query fields for a YAML body, which has no room for them (a JSON body carries them itself). */
const ProfileTextQuery = z.object({
  file: z.string().optional().describe('the name errors are reported against (YAML bodies)'),
  baseDir: z.string().optional().describe('chart folder on the hub (YAML bodies)'),
  draft: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('store as a draft instead of publishing (YAML bodies)'),
});

const yamlDescription =
  'Send JSON `{yaml, file?, baseDir?, draft?}`, or the profile file itself with ' +
  '`Content-Type: application/yaml` (then file, baseDir and draft go in the query).';

/** The JSON body's fields win over the query's: they are the more specific of the two. */
const profileText = (query: z.output<typeof ProfileTextQuery>, body: z.output<typeof ProfileTextSchema>) => ({
  ...(query.file === undefined ? {} : { file: query.file }),
  ...(query.baseDir === undefined ? {} : { baseDir: query.baseDir }),
  ...(query.draft === undefined ? {} : { draft: query.draft }),
  ...body,
});

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
    bodyFormats: [BodyFormat.Json, BodyFormat.Yaml],
    status: 201,
    response: z.array(ProfileVersionSchema),
    errors: [409, 413, 415, 422],
    handler: ({ hub, query, body, actor }) => hub.importProfile(profileText(query, body), actor),
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/profiles/validate`,
    operationId: 'validateProfile',
    tag: 'profiles',
    summary: 'Validate a profile file without storing it',
    description: `${yamlDescription} Always 200 for a readable request: \`valid\` says whether it is a profile.`,
    role: Role.Viewer,
    query: ProfileTextQuery,
    body: ProfileTextSchema,
    bodyFormats: [BodyFormat.Json, BodyFormat.Yaml],
    status: 200,
    response: ValidationSchema,
    errors: [413, 415],
    handler: async ({ hub, query, body }) => {
      const issues = await hub.validateProfile(profileText(query, body));
      return { valid: issues.length === 0, issues: issues.map(toProblemIssue) };
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
];
