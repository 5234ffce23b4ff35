// Regenerates schema/clusterprofile.schema.json from the zod schema in src/profile.
// Run: npx tsx scripts/gen-profile-schema.ts   (src/profile/json-schema.test.ts fails when it is stale)
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSON_SCHEMA_PATH, profileJsonSchemaText } from '../src/profile/json-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, JSON_SCHEMA_PATH);
await mkdir(path.dirname(target), { recursive: true });
await writeFile(target, await profileJsonSchemaText());
console.log(`wrote ${JSON_SCHEMA_PATH}`);
