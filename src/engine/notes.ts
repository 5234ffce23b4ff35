// A chart's NOTES.txt, rendered as `helm install` prints it. `helm template` renders NOTES.txt but never
// prints it, and `helm install --dry-run` needs a reachable cluster and takes no --kube-version; so the render
// adds one template of its own to a copy of the chart archive it holds (a local chart, or a remote one pinned
// at publish), which includes the chart's NOTES.txt with the same values, release and capabilities as every
// other template, and the rendering is read back from the output (and dropped from the objects). Only the
// parent chart's notes, as `helm install` prints by default.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x as extract } from 'tar';
import type { HelmPack, KubeObject } from '../profile/index.js';
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
      await extract({ file: chartFile, cwd: dir, strict: true });
      const top = readdirSync(dir);
      if (top.length !== 1 || top[0] === undefined) throw new Error('a chart archive has one top folder');
      chart = join(dir, top[0]);
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
 * `helm template` of a Helm pack whose output also holds the rendering of a local chart's NOTES.txt (one
 * document, see isNotes); a remote chart not pinned (no archive here) is rendered as it is, without.
 */
export async function templateWithNotes(pack: HelmPack, options: HelmTemplateOptions): Promise<string> {
  if (options.chartFile === undefined) return helmTemplate(pack, options);
  const copy = await chartWithNotes(options.chartFile).catch((error: unknown) => {
    throw new EngineError(
      EngineErrorCode.RenderFailed,
      `pack ${pack.name}: cannot read its local chart: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  });
  try {
    return await helmTemplate(pack, { ...options, chartFile: copy.chart });
  } finally {
    copy.remove();
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
  return typeof text === 'string' ? text.trim() : '';
}
