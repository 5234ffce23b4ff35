// API tokens. The store keeps only their hash; the plaintext is in the create response and nowhere else.
import { z } from 'zod';
import { CreatedTokenSchema, CreateTokenSchema, TokenSchema } from '../schemas.js';
import { API_PREFIX, jsonRoute, Role } from '../route.js';
import { ApiError } from '../problem.js';

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
    handler: ({ store, body, actor }) =>
      store.transaction(async (tx) => {
        const created = await tx.tokens.create(body);
        await tx.audit.record({
          actor,
          action: 'token.create',
          target: `token/${created.token.id}`,
          details: { name: body.name, role: body.role },
        });
        return created;
      }),
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
    summary: 'Revoke a token: it stops working at once',
    role: Role.Admin,
    params: TokenParams,
    status: 204,
    response: undefined,
    errors: [404],
    handler: async ({ store, params, actor }) => {
      await store.transaction(async (tx) => {
        const token = await tx.tokens.get(params.id);
        await tx.tokens.delete(params.id);
        await tx.audit.record({
          actor,
          action: 'token.revoke',
          target: `token/${params.id}`,
          ...(token === undefined ? {} : { details: { name: token.name, role: token.role } }),
        });
      });
      return undefined;
    },
  }),
];
