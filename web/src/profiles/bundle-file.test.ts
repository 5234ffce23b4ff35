import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { describe, expect, it } from 'vitest';
import { isBundleName, profileOfBundle } from './bundle-file';

/** A ustar archive of these entries, gzip-compressed, as a Blob (what a file input gives). */
function tgz(entries: Record<string, string>): Blob {
  const blocks: Buffer[] = [];
  for (const [path, content] of Object.entries(entries)) {
    const body = Buffer.from(content);
    const header = Buffer.alloc(512);
    new Header({ path, size: body.length, type: 'File', mode: 0o644, mtime: new Date(0) }).encode(header, 0);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return new Blob([new Uint8Array(gzipSync(Buffer.concat(blocks)))]);
}

describe('profileOfBundle', () => {
  it('finds profile.yaml after other entries', async () => {
    const yaml = 'kind: ClusterProfile\nmetadata: { name: x }\n';
    const blob = tgz({ 'charts/web.tgz': 'x'.repeat(700), 'bundle.json': '{}', 'profile.yaml': yaml });
    expect(await profileOfBundle(blob)).toBe(yaml);
  });

  it('is undefined for a tar without it and for a file that is not gzip', async () => {
    expect(await profileOfBundle(tgz({ 'bundle.json': '{}' }))).toBeUndefined();
    expect(await profileOfBundle(new Blob(['kind: ClusterProfile\n']))).toBeUndefined();
  });

  it('tells a bundle from a profile file by its name', () => {
    expect(isBundleName('web-1.0.0.tgz')).toBe(true);
    expect(isBundleName('web.TAR.GZ')).toBe(true);
    expect(isBundleName('web.yaml')).toBe(false);
  });
});
