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

interface TokenLookup {
  verify(plaintext: string): Promise<Caller | undefined>;
  /** The token while it is taken on trust, without a promise; undefined: ask verify(). */
  kept?(plaintext: string): Caller | undefined;
}

/** The caller's token, or throws 401/403 when it does not allow `required`. */
export async function authorize(
  tokens: TokenLookup,
  authorization: string | undefined,
  required: Role,
): Promise<Caller | undefined> {
  if (required === Role.Public) return undefined;
  const plaintext = bearerOf(authorization, required);
  const token = plaintext === undefined ? undefined : await tokens.verify(plaintext);
  return allowed(token, required);
}

/**
 * authorize() for a token taken on trust (Tokens.kept), answered without a promise: the path of nearly every
 * request (issue 15, fast reads). `undefined` when the token is not kept: then authorize() decides. Throws as
 * authorize() does for a missing header and for a kept token without the role.
 */
export function authorizeKept(
  tokens: TokenLookup,
  authorization: string | undefined,
  required: Role,
): { readonly caller: Caller | undefined } | undefined {
  if (required === Role.Public) return { caller: undefined };
  const plaintext = bearerOf(authorization, required);
  const token = plaintext === undefined ? undefined : tokens.kept?.(plaintext);
  return token === undefined ? undefined : { caller: allowed(token, required) };
}

/** The token in an Authorization header (undefined when malformed); throws 401 when there is none. */
function bearerOf(authorization: string | undefined, required: Role): string | undefined {
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
  return BEARER.exec(authorization)?.[1];
}

/** The token when it allows `required`; throws 401 for none, 403 for a role short of it. */
function allowed(token: Caller | undefined, required: Role): Caller {
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
