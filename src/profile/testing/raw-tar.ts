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

/**
 * A chart whose NOTES.txt reads `target` (an absolute path) through a chain of links, review 8's item 1:
 * `u0 -> ..`, `u1 -> u0/..`, …, `files/k -> ../u10<target>`. Each link's target reads as inside the folder
 * (node-tar checks no more), but on disk u10 is eleven folders up, so helm following files/k reads `target`.
 * `.helmignore` keeps helm from walking the links.
 */
export function linkChainChart(top: string, target: string): Buffer {
  const file = (path: string, content: string): RawEntry => ({
    path: `${top}/${path}`,
    content: Buffer.from(content),
  });
  return rawTarGz([
    { path: `${top}/`, type: 'Directory' },
    file('Chart.yaml', `apiVersion: v2\nname: ${top}\nversion: 0.1.0\n`),
    file('.helmignore', 'u*\n'),
    { path: `${top}/files/`, type: 'Directory' },
    { path: `${top}/files/k`, type: 'SymbolicLink', linkpath: `../u10${target}` },
    { path: `${top}/templates/`, type: 'Directory' },
    file('templates/NOTES.txt', '{{ .Files.Get "files/k" }}'),
    // Each link before the one it names: node-tar refuses to create a link through one that exists already.
    ...Array.from({ length: 11 }, (_, i): RawEntry => ({
      path: `${top}/u${10 - i}`,
      type: 'SymbolicLink',
      linkpath: i === 10 ? '..' : `u${9 - i}/..`,
    })),
  ]);
}
