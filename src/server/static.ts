// The UI (web/, built by `make web-build` into web/dist) is served by the hub at `/`. Unknown paths outside
// the API get index.html, so a reload on any page of the UI works.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import type { FastifyReply } from 'fastify';

/** The checkout: this file runs as src/server/static.ts under tsx and as dist/src/server/static.js when built. */
const sourceRoot = resolve(import.meta.dirname, '..', '..');
const repoRoot = basename(sourceRoot) === 'dist' ? dirname(sourceRoot) : sourceRoot;

export const defaultWebRoot = join(repoRoot, 'web', 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** Not the UI's: these paths keep their problem+json 404. */
export function isApiPath(path: string): boolean {
  return /^\/(api|healthz|readyz|metrics)(\/|$)/.test(path);
}

/** Sends the file for `urlPath` from `root` (or index.html); false when there is no built UI. */
export async function sendWebFile(root: string, urlPath: string, reply: FastifyReply): Promise<boolean> {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return false;
  }
  const candidate = resolve(root, `.${relative}`);
  // Never outside the UI's folder, whatever `..` the path holds.
  const inside = candidate === root || candidate.startsWith(root + sep);
  const file = inside && (await isFile(candidate)) ? candidate : join(root, 'index.html');
  if (!(await isFile(file))) return false;
  const hashed = file.includes(`${sep}assets${sep}`);
  await reply
    .type(TYPES[extname(file)] ?? 'application/octet-stream')
    // Vite's assets carry a content hash in their name; index.html must always be fetched fresh.
    .header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
    .send(await readFile(file));
  return true;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
