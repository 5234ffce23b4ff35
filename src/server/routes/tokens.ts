// API tokens (the hub's token service, src/hub/tokens.ts). The store keeps only their hash; the plaintext is
// in the create response and nowhere else.
import { z } from 'zod';
import { CreatedTokenSchema, CreateTokenSchema, TokenSchema } from '../schemas.js';
import { API_PREFIX, jsonRoute, Role } from '../route.js';
import { removeAdminTokenFile } from '../admin-token.js';

const TokenParams = z.object({ id: z.string().min(1) });

export const tokenRoutes = [
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/whoami`,
    operationId: 'whoami',
    tag: 'tokens',
    summary: 'The token this request is made with (name and role), so clients can show only what it may do',
    role: Role.Viewer,
    status: 200,
    response: TokenSchema,
    errors: [404],
    handler: ({ hub, actor }) => hub.tokens.whoami(actor),
  }),
  jsonRoute({
    method: 'POST',
    path: `${API_PREFIX}/tokens`,
    operationId: 'createToken',
    tag: 'tokens',
    summary: 'Create an API token; the plaintext is returned this once',
    role: Role.Admin,
    body: CreateTokenSchema,
    status: 201,
    response: CreatedTokenSchema,
    errors: [409],
    handler: async ({ hub, body, actor, adminTokenFile }) => {
      const created = await hub.tokens.create(body, actor);
      // Two admin tokens now exist (the caller's and this one): the first one's copy on disk goes.
      if (body.role === 'admin' && adminTokenFile !== undefined) await removeAdminTokenFile(adminTokenFile);
      return created;
    },
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/tokens`,
    operationId: 'listTokens',
    tag: 'tokens',
    summary: 'List API tokens (never their secrets)',
    role: Role.Admin,
    status: 200,
    response: z.array(TokenSchema),
    handler: ({ hub }) => hub.tokens.list(),
  }),
  jsonRoute({
    method: 'DELETE',
    path: `${API_PREFIX}/tokens/{id}`,
    operationId: 'revokeToken',
    tag: 'tokens',
    summary: 'Revoke a token: it stops working at once and its open event streams end',
    description:
      'The last admin token cannot be revoked (409 LAST_ADMIN_TOKEN): create another admin token first. ' +
      'If every admin token is lost, `strata token create --role admin --data-dir DIR` on the hub host ' +
      'makes one from the data directory.',
    role: Role.Admin,
    params: TokenParams,
    status: 204,
    response: undefined,
    errors: [404, 409],
    handler: async ({ hub, events, params, actor }) => {
      await hub.tokens.revoke(params.id, actor);
      // This replica's streams end now; other replicas' at their next token check (sse.ts).
      events.disconnectToken(params.id);
      return undefined;
    },
  }),
];
