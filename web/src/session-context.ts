import { createContext, useContext } from 'react';
import type { Api } from './api/client';
import type { Role } from './api/types';

export interface Session {
  readonly api: Api;
  readonly role: Role;
  /** The hub refused an action with 403: the role was overestimated; show less from now on. */
  readonly downgrade: (role: Role) => void;
  readonly logout: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside of a signed-in app');
  return session;
}
