// The JSON Schema of the profile file, generated from the same zod schema that validates it, so editors (e.g.
// the YAML language server) check profiles as people type. Committed as schema/clusterprofile.schema.json.
import * as z from 'zod';
import { clusterProfileSchema } from './schema.js';

export const JSON_SCHEMA_ID = 'https://strata.dev/schema/clusterprofile.schema.json';
export const JSON_SCHEMA_PATH = 'schema/clusterprofile.schema.json';

export function profileJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(clusterProfileSchema, { target: 'draft-2020-12' });
  return { ...generated, $id: JSON_SCHEMA_ID, title: 'Strata ClusterProfile' };
}

/** Exactly the text of the committed file, formatted the way `prettier --check .` expects. */
export async function profileJsonSchemaText(): Promise<string> {
  // Imported lazily: prettier is a dev tool, needed only by the generator script and its test.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(JSON_SCHEMA_PATH)) ?? {};
  return prettier.format(JSON.stringify(profileJsonSchema()), { ...options, parser: 'json' });
}
