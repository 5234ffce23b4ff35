// A tar.gz written entry by entry with no checks, for tests: what a hostile client or chart repository could
// send (links, devices, `..` paths), which writeTarGz never writes.
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export interface RawEntry {
  path: string;
  content?: Buffer;
  type?: 'File' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO' | 'Directory';
  linkpath?: string;
}

/** A tar.gz written entry by entry, with no checks. */
export function rawTarGz(entries: readonly RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.content ?? Buffer.alloc(0);
    const header = new Header({
      path: entry.path,
      mode: 0o644,
      size: content.length,
      mtime: new Date(0),
      type: entry.type ?? 'File',
      ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
    });
    header.encode();
    blocks.push(header.block as Buffer, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
