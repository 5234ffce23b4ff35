// Attachments: a cluster uses a profile version with variable values. Changing the version or values can be
// previewed first: the per-pack diff is what the UI shows as "Updates available".
import { z } from 'zod';
import { AttachmentSchema, AttachSchema, PackDiffSchema, UpdateAttachmentSchema } from '../schemas.js';
import { API_PREFIX, jsonRoute, Role } from '../route.js';
import { ClusterParams } from './clusters.js';

const AttachmentParams = ClusterParams.extend({ profile: z.string().min(1) });

const DryRunQuery = z.object({
  dryRun: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('answer with the per-pack diff instead of applying the change'),
});

/**
 * The body of an attach, preview or update: a version and at most 1,000 variable values. Parsing JSON holds the
 * event loop ~0.35 ms per KiB, so a 2 MiB body of values held it over a second per request (review 15, item 6);
 * 256 KiB still holds 1,000 values of 256 bytes, or a few certificates.
 */
export const ATTACHMENT_BODY_LIMIT = 256 * 1024;

export const attachmentRoutes = [
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/clusters/{cluster}/attachments`,
    operationId: 'listAttachments',
    tag: 'attachments',
    summary: "A cluster's attached profiles (with updateAvailable when a newer version is published)",
    role: Role.Viewer,
    params: ClusterParams,
    status: 200,
    response: z.array(AttachmentSchema),
    errors: [404],
    handler: ({ hub, params }) => hub.listAttachments(params.cluster),
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/clusters/{cluster}/attachments`,
    operationId: 'attachProfile',
    bodyLimit: ATTACHMENT_BODY_LIMIT,
    tag: 'attachments',
    summary: 'Attach a profile version to a cluster: its packs start installing',
    role: Role.Operator,
    params: ClusterParams,
    body: AttachSchema,
    status: 201,
    response: AttachmentSchema,
    errors: [404, 409, 413, 422],
    handler: ({ hub, params, body, actor }) => hub.attach({ cluster: params.cluster, ...body }, actor),
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/clusters/{cluster}/attachments/{profile}/preview`,
    operationId: 'previewAttachmentUpdate',
    bodyLimit: ATTACHMENT_BODY_LIMIT,
    tag: 'attachments',
    summary: 'The per-pack diff a version or values change would make, without making it',
    description:
      'Sensitive values are masked, and a given value is shown as given: never compared with a stored ' +
      'secret. SEALED_VALUE (409) when the version does not declare a variable sensitive whose value is ' +
      'stored sealed on this attachment (a sealed value is never unsealed).',
    role: Role.Viewer,
    params: AttachmentParams,
    body: UpdateAttachmentSchema,
    status: 200,
    response: z.array(PackDiffSchema),
    errors: [404, 409, 413, 422, 429],
    handler: ({ hub, params, body }) =>
      hub.previewAttachment({ cluster: params.cluster, profile: params.profile, ...body }),
  }),
  jsonRoute({
    method: 'PATCH',
    path: `${API_PREFIX}/clusters/{cluster}/attachments/{profile}`,
    operationId: 'updateAttachment',
    bodyLimit: ATTACHMENT_BODY_LIMIT,
    tag: 'attachments',
    summary: 'Change the attached version or values (`?dryRun=true`: answer the diff instead)',
    role: Role.Operator,
    params: AttachmentParams,
    query: DryRunQuery,
    body: UpdateAttachmentSchema,
    status: 200,
    response: z.union([AttachmentSchema, z.array(PackDiffSchema)]),
    errors: [404, 409, 413, 422],
    handler: async ({ hub, params, query, body, actor }) => {
      const input = { cluster: params.cluster, profile: params.profile, ...body };
      return query.dryRun === true ? hub.previewAttachment(input) : hub.updateAttachment(input, actor);
    },
  }),
  jsonRoute({
    method: 'DELETE',
    path: `${API_PREFIX}/clusters/{cluster}/attachments/{profile}`,
    operationId: 'detachProfile',
    tag: 'attachments',
    summary: 'Detach a profile: its packs are uninstalled in reverse order',
    role: Role.Operator,
    params: AttachmentParams,
    status: 204,
    response: undefined,
    errors: [404],
    handler: async ({ hub, params, actor }) => {
      await hub.detach(params.cluster, params.profile, actor);
      return undefined;
    },
  }),
];
