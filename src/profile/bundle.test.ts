import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_INDEX,
  BUNDLE_PROFILE,
  BundleError,
  BundleErrorCode,
  MAX_BUNDLE_BYTES,
  bundleFiles,
  bundleFolder,
  chartArchiveProblem,
  readBundle,
  readChartArchive,
  sha256,
  writeBundle,
  writeBundleAsync,
  writeTarGz,
} from './bundle.js';
import { loadProfileText } from './load.js';
import { messages, profileText } from './testing/profiles.js';
import { rawTarGz, type RawEntry } from './testing/raw-tar.js';

const chart = writeTarGz([
  { path: 'web/Chart.yaml', content: Buffer.from('apiVersion: v2\nname: web\nversion: 0.1.0\n') },
  { path: 'web/templates/cm.yaml', content: Buffer.from('apiVersion: v1\nkind: ConfigMap\n') },
]);
const cm = Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\n');
const profile = profileText({
  packs: [
    '- name: web\n  layer: addon\n  version: 1.0.0\n  type: helm\n  chart: { path: charts/web }',
    '- name: cm\n  layer: addon\n  version: 1.0.0\n  type: manifest\n  files: [files/cm.yaml]',
  ].join('\n'),
});

const index = (entries: Record<string, Buffer>) =>
  Buffer.from(
    JSON.stringify({ sha256: Object.fromEntries(Object.entries(entries).map(([p, c]) => [p, sha256(c)])) }),
  );

/** A well-formed bundle's entries plus `extra`, with the index listing `listed` (default: every file). */
function bundleWith(extra: RawEntry[], listed?: Record<string, Buffer>): Buffer {
  const files = { 'charts/web': chart, 'files/cm.yaml': cm };
  return rawTarGz([
    { path: BUNDLE_PROFILE, content: Buffer.from(profile) },
    { path: BUNDLE_INDEX, content: index(listed ?? files) },
    { path: 'charts/web', content: chart },
    { path: 'files/cm.yaml', content: cm },
    ...extra,
  ]);
}

async function refused(data: Buffer): Promise<BundleError> {
  const error = await readBundle(data).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof BundleError)) throw new Error(`expected a BundleError, got ${String(error)}`);
  return error;
}

describe('readBundle', () => {
  it('reads what writeBundle writes: the profile and each entry with its digest', async () => {
    const bundle = await readBundle(
      writeBundle(profile, [
        { path: 'charts/web', content: chart },
        { path: 'files/cm.yaml', content: cm },
      ]),
    );
    expect(bundle.profile).toBe(profile);
    expect([...bundle.entries.keys()].sort()).toEqual(['charts/web', 'files/cm.yaml']);
    expect(bundle.entries.get('files/cm.yaml')?.sha256).toBe(sha256(cm));
  });

  it('writes the same bytes off the event loop as on it (the hub compresses downloads on the thread pool)', async () => {
    const entries = [{ path: 'files/cm.yaml', content: cm }];
    expect((await writeBundleAsync(profile, entries)).equals(writeBundle(profile, entries))).toBe(true);
  });

  it('writes the same bytes for the same input (a republish is idempotent)', () => {
    const entries = [{ path: 'files/cm.yaml', content: cm }];
    expect(sha256(writeBundle(profile, entries))).toBe(sha256(writeBundle(profile, entries)));
  });

  it.each<[string, RawEntry, RegExp]>([
    [
      'a .. path',
      { path: '../etc/passwd', content: cm },
      /entry "\.\.\/etc\/passwd": .* leaves the profile's folder/,
    ],
    ['a nested .. path', { path: 'files/../../x', content: cm }, /entry "files\/\.\.\/\.\.\/x": .*leaves/],
    ['an absolute path', { path: '/etc/passwd', content: cm }, /entry "\/etc\/passwd": .*absolute path/],
    [
      'a symlink',
      { path: 'files/link', type: 'SymbolicLink', linkpath: '/etc/passwd' },
      /entry "files\/link" is a SymbolicLink; only regular files/,
    ],
    [
      'a hard link',
      { path: 'files/hard', type: 'Link', linkpath: 'files/cm.yaml' },
      /entry "files\/hard" is a Link/,
    ],
    ['a device', { path: 'files/dev', type: 'CharacterDevice' }, /entry "files\/dev" is a CharacterDevice/],
    ['a FIFO', { path: 'files/fifo', type: 'FIFO' }, /entry "files\/fifo" is a FIFO/],
    ['a duplicate name', { path: 'files/cm.yaml', content: cm }, /entry "files\/cm\.yaml" appears twice/],
    [
      'a duplicate after normalizing',
      { path: './files//cm.yaml', content: cm },
      /entry "\.\/files\/\/cm\.yaml" appears twice/,
    ],
  ])('refuses %s, naming the entry', async (_what, entry, message) => {
    const error = await refused(bundleWith([entry]));
    expect(error.code).toBe(BundleErrorCode.Invalid);
    expect(error.message).toMatch(message);
    expect(error.entry).toBe(entry.path);
  });

  it('refuses a digest that does not match, naming the entry and both digests', async () => {
    const error = await refused(
      bundleWith([], { 'charts/web': chart, 'files/cm.yaml': Buffer.from('other') }),
    );
    expect(error.message).toBe(
      `entry "files/cm.yaml": sha256 is ${sha256(cm)}, bundle.json says ${sha256(Buffer.from('other'))}`,
    );
  });

  it('refuses an entry the index does not list, and an index entry that is missing', async () => {
    expect((await refused(bundleWith([{ path: 'files/extra.yaml', content: cm }]))).message).toBe(
      'entry "files/extra.yaml" is not listed in bundle.json',
    );
    const listsMore = { 'charts/web': chart, 'files/cm.yaml': cm, 'files/gone.yaml': cm };
    expect((await refused(bundleWith([], listsMore))).message).toBe(
      'bundle.json lists "files/gone.yaml", which is not in the bundle',
    );
  });

  it('refuses a bundle without profile.yaml, or that is not a gzip tar at all', async () => {
    expect((await refused(rawTarGz([{ path: BUNDLE_INDEX, content: index({}) }]))).message).toBe(
      'bundle has no profile.yaml at its root',
    );
    expect((await refused(Buffer.from('apiVersion: v1\n'))).message).toBe(
      'bundle is not gzip-compressed data',
    );
  });

  it('refuses a bundle over the limit, compressed or once unpacked, with a clear error', async () => {
    const big = await refused(Buffer.alloc(MAX_BUNDLE_BYTES + 1));
    expect(big.code).toBe(BundleErrorCode.TooLarge);
    expect(big.message).toBe(
      `bundle is ${MAX_BUNDLE_BYTES + 1} bytes; the limit is ${MAX_BUNDLE_BYTES} (20 MiB)`,
    );
    // 21 MiB of zeros compress to ~20 KiB: the limit holds for what the bundle unpacks to.
    const bomb = await refused(
      bundleWith([{ path: 'files/zeros', content: Buffer.alloc(21 * 1024 * 1024) }]),
    );
    expect(bomb.code).toBe(BundleErrorCode.TooLarge);
    expect(bomb.message).toContain('unpacks to more than 20971520 bytes');
  });
});

describe('bundleFolder', () => {
  it('gives back the folder: chart folders unpacked under their path, files and .tgz charts as they are', async () => {
    const bundle = await readBundle(
      writeBundle(profile, [
        { path: 'charts/web', content: chart },
        { path: 'files/cm.yaml', content: cm },
      ]),
    );
    const files = await bundleFolder(bundle, new Set(['charts/web']));
    expect(files.map((f) => f.path)).toEqual([
      'profile.yaml',
      'charts/web/Chart.yaml',
      'charts/web/templates/cm.yaml',
      'files/cm.yaml',
    ]);
    expect((await bundleFolder(bundle, new Set())).map((f) => f.path)).toContain('charts/web');
  });
});

describe('chartArchiveProblem', () => {
  it('accepts a chart archive and refuses one with no Chart.yaml in its top folder', async () => {
    expect(await chartArchiveProblem(chart)).toBeUndefined();
    expect(await chartArchiveProblem(writeTarGz([{ path: 'web/values.yaml', content: cm }]))).toBe(
      'not a chart archive: no Chart.yaml in its top folder "web/"',
    );
    expect(await chartArchiveProblem(cm)).toBe('chart archive is not gzip-compressed data');
  });
});

describe('readChartArchive (review 9, item 2)', () => {
  const yaml = (name: string) => Buffer.from(`apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);

  it('gives the files with each subchart archive unpacked under charts/<name>/, at any depth', async () => {
    const inner = writeTarGz([{ path: 'inner/Chart.yaml', content: yaml('inner') }]);
    const db = writeTarGz([
      { path: 'db/Chart.yaml', content: yaml('db') },
      { path: 'db/charts/inner-0.1.0.tgz', content: inner },
    ]);
    const read = await readChartArchive(
      writeTarGz([
        { path: 'web/Chart.yaml', content: yaml('web') },
        { path: 'web/charts/db-0.1.0.tgz', content: db },
        { path: 'web/charts/extra.tar.gz', content: inner },
      ]),
    );
    expect(read.ok && read.unpacked.map((f) => [f.path, f.content.toString()])).toEqual([
      ['web/Chart.yaml', yaml('web').toString()],
      ['web/charts/db-0.1.0/Chart.yaml', yaml('db').toString()],
      ['web/charts/db-0.1.0/charts/inner-0.1.0/Chart.yaml', yaml('inner').toString()],
      // helm loads only a `.tgz` there as an archive: anything else stays as it is.
      ['web/charts/extra.tar.gz', inner.toString()],
    ]);
  });

  it('refuses a subchart archive it cannot unpack as helm loads it', async () => {
    const db = writeTarGz([{ path: 'db/Chart.yaml', content: yaml('db') }]);
    expect(
      await chartArchiveProblem(
        writeTarGz([
          { path: 'web/Chart.yaml', content: yaml('web') },
          { path: 'web/charts/db.tgz', content: db },
          { path: 'web/charts/db/Chart.yaml', content: yaml('db') },
        ]),
      ),
    ).toBe(
      'subchart archive "web/charts/db.tgz" cannot be unpacked to "web/charts/db/": "web/charts/db/Chart.yaml" is there already',
    );
    const loose = writeTarGz([{ path: 'Chart.yaml', content: yaml('db') }]);
    expect(
      await chartArchiveProblem(
        writeTarGz([
          { path: 'web/Chart.yaml', content: yaml('web') },
          { path: 'web/charts/db.tgz', content: loose },
        ]),
      ),
    ).toBe(
      'subchart archive "web/charts/db.tgz": its files must sit under one top folder, as helm package writes them',
    );
  });

  /** The archive of `entries` with `patch` applied to its uncompressed tar, checksums recomputed. */
  function patched(entries: readonly RawEntry[], patch: (tar: Buffer) => void): Buffer {
    const tar = gunzipSync(rawTarGz(entries));
    patch(tar);
    for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
      tar.write(' '.repeat(8), at + 148);
      const sum = tar.subarray(at, at + 512).reduce((total, byte) => total + byte, 0);
      tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148);
      const size = parseInt(tar.toString('latin1', at + 124, at + 135), 8);
      at += 512 + Math.ceil(size / 512) * 512;
    }
    return gzipSync(tar);
  }

  it('refuses a header that Go and node-tar read as different names or sizes, naming the entry', async () => {
    const chartYaml = { path: 'web/Chart.yaml', content: yaml('web') };
    const version = patched([chartYaml], (tar) => tar.write('xx', 263));
    expect(await chartArchiveProblem(version)).toBe(
      'chart archive: entry "web/Chart.yaml": its ustar header has a version other than 00; tar readers disagree on what it holds',
    );
    const slash = patched([chartYaml, { path: 'web/files/a', content: Buffer.from('data') }], (tar) =>
      tar.write('web/files/\0', 1024),
    );
    expect(await chartArchiveProblem(slash)).toBe(
      'chart archive: entry "web/files/": it is a regular file whose name ends with / and that has content; tar readers disagree on what it holds',
    );
    const record = ' path=web/values.yaml\n';
    const pax = `${record.length + 2}${record}`;
    const long = `web/${'d'.repeat(100)}/x`;
    const prefixed = patched(
      [
        chartYaml,
        { path: 'web/pax', content: Buffer.from(pax) },
        { path: long, content: Buffer.from('a: 1') },
      ],
      (tar) => tar.write('x', 1024 + 156),
    );
    expect(await chartArchiveProblem(prefixed)).toBe(
      'chart archive: entry "web/values.yaml": it has a ustar prefix and a pax or GNU long name; tar readers disagree on what it holds',
    );
  });
});

describe('bundleFiles', () => {
  it('loads a profile from the bundle only, and reports entries it does not reference', async () => {
    const bundle = await readBundle(
      writeBundle(profile, [
        { path: 'charts/web', content: chart },
        { path: 'files/cm.yaml', content: cm },
        { path: 'files/unused.yaml', content: cm },
      ]),
    );
    const files = bundleFiles(bundle.entries);
    const loaded = await loadProfileText(bundle.profile, { files, displayName: 'bundle' });
    expect(loaded.ok && loaded.value[0]?.references.map((r) => r.path)).toEqual([
      'charts/web',
      'files/cm.yaml',
    ]);
    expect(files.unused()).toEqual(['files/unused.yaml']);
  });

  it('refuses a chart entry that is not a chart, at the pack that names it', async () => {
    const bundle = await readBundle(
      writeBundle(profile, [
        { path: 'charts/web', content: cm },
        { path: 'files/cm.yaml', content: cm },
      ]),
    );
    expect(
      messages(
        await loadProfileText(bundle.profile, { files: bundleFiles(bundle.entries), displayName: 'b' }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^b:\d+:\d+ spec\.packs\[0\]\.chart\.path: bundle entry "charts\/web": chart archive is not gzip-compressed data: "charts\/web" \(in the bundle\)$/,
      ),
    ]);
  });

  it("refuses a local chart whose subchart's values schema helm would load a URL for (review 8, item 2)", async () => {
    const sub = writeTarGz([
      { path: 'db/Chart.yaml', content: Buffer.from('apiVersion: v2\nname: db\nversion: 0.1.0\n') },
      { path: 'db/values.schema.json', content: Buffer.from('{"$ref": "https://169.254.169.254/latest"}') },
    ]);
    const withSub = writeTarGz([
      { path: 'web/Chart.yaml', content: Buffer.from('apiVersion: v2\nname: web\nversion: 0.1.0\n') },
      { path: 'web/charts/db-0.1.0.tgz', content: sub },
    ]);
    const bundle = await readBundle(
      writeBundle(profile, [
        { path: 'charts/web', content: withSub },
        { path: 'files/cm.yaml', content: cm },
      ]),
    );
    expect(
      messages(
        await loadProfileText(bundle.profile, { files: bundleFiles(bundle.entries), displayName: 'b' }),
      ),
    ).toEqual([
      expect.stringContaining(
        'spec.packs[0].chart.path: bundle entry "charts/web": web/charts/db-0.1.0.tgz: db/values.schema.json: ' +
          '"$ref" at / is "https://169.254.169.254/latest"; a values schema may only refer inside itself',
      ),
    ]);
  });
});
