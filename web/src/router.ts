// A tiny hash router: the hub serves one index.html, and every view has a URL a user can bookmark or share.
import { useEffect, useState } from 'react';

export type Route =
  | { readonly view: 'overview' }
  | {
      readonly view: 'cluster';
      readonly cluster: string;
      readonly pack?: string;
      readonly tab: 'packs' | 'timeline';
    }
  | { readonly view: 'profiles'; readonly profile?: string; readonly version?: string }
  | { readonly view: 'sources' }
  | { readonly view: 'not-found'; readonly path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { view: 'overview' };
  if (parts[0] === 'clusters' && parts[1] !== undefined) {
    if (parts.length === 2) return { view: 'cluster', cluster: parts[1], tab: 'packs' };
    if (parts.length === 3 && parts[2] === 'timeline')
      return { view: 'cluster', cluster: parts[1], tab: 'timeline' };
    if (parts.length === 4 && parts[2] === 'packs' && parts[3] !== undefined) {
      return { view: 'cluster', cluster: parts[1], pack: parts[3], tab: 'packs' };
    }
  }
  if (parts[0] === 'profiles') {
    if (parts.length === 1) return { view: 'profiles' };
    if (parts.length === 2 && parts[1] !== undefined) return { view: 'profiles', profile: parts[1] };
    if (parts.length === 3 && parts[1] !== undefined && parts[2] !== undefined) {
      return { view: 'profiles', profile: parts[1], version: parts[2] };
    }
  }
  if (parts[0] === 'sources' && parts.length === 1) return { view: 'sources' };
  return { view: 'not-found', path };
}

const e = encodeURIComponent;
export const href = {
  overview: () => '#/',
  cluster: (c: string) => `#/clusters/${e(c)}`,
  timeline: (c: string) => `#/clusters/${e(c)}/timeline`,
  pack: (c: string, p: string) => `#/clusters/${e(c)}/packs/${e(p)}`,
  profiles: () => '#/profiles',
  sources: () => '#/sources',
  profile: (p: string, v?: string) => (v === undefined ? `#/profiles/${e(p)}` : `#/profiles/${e(p)}/${e(v)}`),
};

export function navigate(to: string): void {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => {
      setRoute(parseRoute(window.location.hash));
    };
    window.addEventListener('hashchange', onChange);
    return () => {
      window.removeEventListener('hashchange', onChange);
    };
  }, []);
  return route;
}
