import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_PATH, profileJsonSchemaText } from './json-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('committed JSON Schema', () => {
  it('matches the zod schema (regenerate with: npx tsx scripts/gen-profile-schema.ts)', async () => {
    const committed = await readFile(path.join(root, JSON_SCHEMA_PATH), 'utf8');
    expect(committed).toBe(await profileJsonSchemaText());
  });

  it('tells editors the layers and pack types', async () => {
    const text = await profileJsonSchemaText();
    expect(text).toContain('"enum": ["os", "k8s", "cni", "csi", "addon"]');
    expect(text).toContain('"const": "strata.dev/v1alpha1"');
  });
});
