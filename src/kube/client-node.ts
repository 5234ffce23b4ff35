// @kubernetes/client-node, loaded on first use rather than at startup: importing it builds thousands of
// generated model classes (~75 MiB of RSS), which a hub with no cluster attached never needs (issue 15: an
// idle hub under 80 MiB). Node >= 22.12 can require() an ES module synchronously, so callers stay synchronous.
import { createRequire } from 'node:module';
import type * as ClientNode from '@kubernetes/client-node';

let loaded: typeof ClientNode | undefined;

export function clientNode(): typeof ClientNode {
  loaded ??= createRequire(import.meta.url)('@kubernetes/client-node') as typeof ClientNode;
  return loaded;
}
