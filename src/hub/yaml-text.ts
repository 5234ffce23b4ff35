// YAML documents as text, `---` between them: what `…/values` shows. Its own module so that the worker thread
// that writes a large pack's values (upload-worker.ts) loads nothing else.
import { stringify } from 'yaml';

export function yamlText(documents: readonly unknown[]): string {
  return documents.map((d) => stringify(d)).join('---\n');
}
