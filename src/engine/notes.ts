// A chart's NOTES.txt, rendered as `helm install` prints it. `helm template` renders NOTES.txt but never
// prints it, and `helm install --dry-run` needs a reachable cluster and takes no --kube-version; so the render
// adds one template of its own to a copy of the chart archive it holds (a local chart, or a remote one pinned
// at publish), which includes the chart's NOTES.txt with the same values, release and capabilities as every
// other template, and the rendering is read back from the output (and dropped from the objects). Only the
// parent chart's notes, as `helm install` prints by default.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ChartSourceKind, readChartArchive, type HelmPack, type KubeObject } from '../profile/index.js';
import { assertNever } from '../shared/assert-never.js';
import { keptText } from '../shared/kept-text.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { helmTemplate, type HelmTemplateOptions } from './helm.js';

/** The kind of the document the added template renders. */
const NOTES_API_VERSION = 'strata.dev/v1';
const NOTES_KIND = 'HelmNotes';
const NOTES_TEMPLATE = 'zz-strata-notes.yaml';

const template = [
  '{{- /* Added by Strata: the chart NOTES.txt as helm install prints it. */ -}}',
  `apiVersion: ${NOTES_API_VERSION}`,
  `kind: ${NOTES_KIND}`,
  'metadata:',
  '  name: notes',
  'text: {{ include (print .Template.BasePath "/NOTES.txt") . | toJson }}',
  '',
].join('\n');

export interface ChartCopy {
  /** The chart folder to render. */
  readonly chart: string;
  /** Whether the chart has a NOTES.txt, so its rendering will be in the output. */
  readonly hasNotes: boolean;
  readonly remove: () => void;
}

/**
 * A copy of a local chart (a folder or a .tgz) in a temp folder, with the notes template added when the chart
 * has a NOTES.txt. `remove` deletes the copy.
 */
export async function chartWithNotes(chartFile: string): Promise<ChartCopy> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-chart-'));
  const remove = () => {
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    let chart: string;
    if (statSync(chartFile).isDirectory()) {
      chart = join(dir, 'chart');
      cpSync(chartFile, chart, { recursive: true, dereference: true });
    } else {
      chart = join(dir, await writeChecked(chartFile, dir));
    }
    const hasNotes = existsSync(join(chart, 'templates', 'NOTES.txt'));
    if (hasNotes) writeFileSync(join(chart, 'templates', NOTES_TEMPLATE), template);
    return { chart, hasNotes, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * Writes out a chart archive (see readChartArchive) under `dir`, and returns its top folder's name. The archive
 * is checked whole before anything is written, whoever stored it and whenever: only regular files and
 * folders come out of it (a link, even one whose target reads as inside, could lead out of `dir` through
 * another, and helm follows links), 20 MiB in all, and no values schema that would make helm load something
 * from elsewhere. Each path is one the check normalized, inside the top folder. Each subchart archive is written
 * out as a folder of the files the check read from it (see ChartArchive), never as the archive itself.
 */
async function writeChecked(chartFile: string, dir: string): Promise<string> {
  const read = await readChartArchive(readFileSync(chartFile));
  if (!read.ok) throw new Error(read.problem);
  // Subcharts unpacked from the check's own reading: helm gets no tar of the chart's to parse its own way.
  for (const file of read.unpacked) {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(target, file.content, { mode: 0o600, flag: 'wx' });
  }
  return read.top;
}

/**
 * `helm template` of a Helm pack whose output also holds the rendering of a local chart's NOTES.txt (one
 * document, see isNotes); a remote chart not pinned (no archive here) is rendered as it is, without.
 */
export async function templateWithNotes(pack: HelmPack, options: HelmTemplateOptions): Promise<string> {
  if (options.chartFile === undefined) return helmTemplate(pack, options);
  const copy = await chartWithNotes(options.chartFile).catch((error: unknown) => {
    throw new EngineError(
      EngineErrorCode.RenderFailed,
      `pack ${pack.name}: cannot read ${chartName(pack)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  });
  try {
    return await helmTemplate(pack, { ...options, chartFile: copy.chart });
  } finally {
    copy.remove();
  }
}

/** The chart a pack renders, as errors name it: where it is and, for a remote one, which version. */
function chartName(pack: HelmPack): string {
  const chart = pack.chart;
  switch (chart.kind) {
    case ChartSourceKind.Local:
      return `its local chart ${JSON.stringify(chart.path)}`;
    case ChartSourceKind.Repo:
      return `its chart "${chart.name}" version ${chart.version} from ${chart.repo} (the archive pinned at publish)`;
    case ChartSourceKind.Oci:
      return `its chart ${chart.ref} version ${chart.version} (the archive pinned at publish)`;
    default:
      return assertNever(chart, 'chart source');
  }
}

/** Whether an object of the output is the notes template's, which is never applied. */
export function isNotes(object: KubeObject, where: string): boolean {
  return (
    object.apiVersion === NOTES_API_VERSION &&
    object.kind === NOTES_KIND &&
    /^[^/]+\/templates\/zz-strata-notes\.yaml$/.test(where)
  );
}

/** The notes as `helm install` prints them (it trims them). */
export function notesText(object: KubeObject): string {
  const text = (object as { text?: unknown }).text;
  // The chart's words, printed by `strata pack values`: without terminal controls and bounded as an agent's
  // notes are (shared/kept-text.ts).
  return typeof text === 'string' ? keptText(text.trim()) : '';
}
