// API tokens. The store keeps only their hash; the plaintext is in the create response and nowhere else.
import { z } from 'zod';
import { CreatedTokenSchema, CreateTokenSchema, TokenSchema } from '../schemas.js';
import { API_PREFIX, jsonRoute, Role } from '../route.js';
import { ApiError } from '../problem.js';
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
    handler: async ({ store, actor }) => {
      const token = actor.tokenId === undefined ? undefined : await store.tokens.get(actor.tokenId);
      // Only reachable if the token was revoked between authentication and this read.
      if (!token) throw new ApiError(404, 'TOKEN_NOT_FOUND', 'the token of this request no longer exists');
      return token;
    },
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
    // The hub has no token service (tokens are the API's concern), so the audit entry is written here, in
    // the same transaction as the token.
    handler: async ({ store, body, actor, adminTokenFile }) => {
      const created = await store.transaction(async (tx) => {
        const made = await tx.tokens.create(body);
        await tx.audit.record({
          actor,
          action: 'token.create',
          target: `token/${made.token.id}`,
          details: { name: body.name, role: body.role },
        });
        return made;
      });
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
    handler: ({ store }) => store.tokens.list(),
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
    handler: async ({ store, events, params, actor }) => {
      await store.transaction(async (tx) => {
        const token = await tx.tokens.get(params.id);
        // Counted under lock in this transaction, so two admins revoking each other cannot both pass.
        if (token?.role === 'admin' && (await tx.tokens.lockAdmins()).length <= 1) {
          throw new ApiError(
            409,
            'LAST_ADMIN_TOKEN',
            `token "${token.name}" is the last admin token: revoking it would lock every admin out of the ` +
              'hub; create another admin token first (strata token create --role admin)',
          );
        }
        await tx.tokens.delete(params.id);
        await tx.audit.record({
          actor,
          action: 'token.revoke',
          target: `token/${params.id}`,
          ...(token === undefined ? {} : { details: { name: token.name, role: token.role } }),
        });
      });
      // This replica's streams end now; other replicas' at their next token check (sse.ts).
      events.disconnectToken(params.id);
      return undefined;
    },
  }),
];
