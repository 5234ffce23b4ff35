// The API token lives in sessionStorage (gone when the tab closes); the role comes from the hub.
import { Api, ApiProblem } from './client';
import type { Role } from './types';

const KEY = 'strata.token';

export function savedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

export const roleRank: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function can(role: Role, needed: Role): boolean {
  return roleRank[role] >= roleRank[needed];
}

/**
 * The token's role. The API has no "who am I" route yet, so it is learnt from two harmless requests: listing
 * tokens needs admin; a dry-run attachment change on a cluster that cannot exist needs operator and then
 * answers 404 (the role check runs before anything else, so a viewer gets 403). A 401 means the token is bad.
 */
export async function detectRole(api: Api): Promise<Role> {
  try {
    const me = await api.get<{ role?: unknown }>('/whoami');
    if (me.role === 'viewer' || me.role === 'operator' || me.role === 'admin') return me.role;
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status === 401) throw error;
  }
  await api.get('/clusters');
  if (await allowed(() => api.get('/tokens'))) return 'admin';
  const probe = () =>
    api.request('/clusters/-strata-role-probe-/attachments/-?dryRun=true', { method: 'PATCH', body: {} });
  return (await allowed(probe)) ? 'operator' : 'viewer';
}

async function allowed(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (error instanceof ApiProblem && error.status !== 401) return error.status !== 403;
    throw error;
  }
}
