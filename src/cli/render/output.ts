// `-o json` and `-o yaml`: the API objects exactly as the hub answered them.
import { stringify } from 'yaml';

export const OutputFormat = { Table: 'table', Json: 'json', Yaml: 'yaml' } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

export function formatObject(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}
