// Bearer-token authentication and role checks. Runs in Fastify's onRequest hook, before the body is read,
// so an anonymous client cannot make the hub buffer and parse 2 MiB bodies: it gets its 401 first.
import type { AgentCaller, TokenRecord } from '../hub/index.js';
import { ApiError } from './problem.js';
import { Role, roleRank } from './route.js';

export interface Principal {
  readonly token: Caller | undefined;
}

/** Who a token stands for: an API token, or an agent (its own role, outside the chain). */
export type Caller = TokenRecord | AgentCaller;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The caller's token, or throws 401/403 when it does not allow `required`. */
export async function authorize(
  tokens: { verify(plaintext: string): Promise<Caller | undefined> },
  authorization: string | undefined,
  required: Role,
): Promise<Caller | undefined> {
  if (required === Role.Public) return undefined;
  if (authorization === undefined || authorization === '') {
    throw new ApiError(
      401,
      'UNAUTHENTICATED',
      'this endpoint needs an API token: send "Authorization: Bearer <token>"',
      {
        requiredRole: required,
      },
    );
  }
  const match = BEARER.exec(authorization);
  const token = match?.[1] === undefined ? undefined : await tokens.verify(match[1]);
  if (token === undefined) {
    throw new ApiError(401, 'UNAUTHENTICATED', 'the API token is not valid (unknown, revoked or malformed)');
  }
  if (token.role === Role.Agent && required !== Role.Agent) {
    throw new ApiError(
      403,
      'FORBIDDEN',
      `this needs the ${required} role; token "${token.name}" is an agent token: it may only read its ` +
        "cluster's desired state and write its status",
      { requiredRole: required },
    );
  }
  if (roleRank[token.role] < roleRank[required]) {
    throw new ApiError(
      403,
      'FORBIDDEN',
      `this needs the ${required} role; token "${token.name}" has ${token.role}`,
      {
        requiredRole: required,
      },
    );
  }
  return token;
}
