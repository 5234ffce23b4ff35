import { parseAllDocuments } from 'yaml';

export interface VariableSpec {
  readonly name: string;
  readonly description?: string;
  readonly default?: string;
  readonly required: boolean;
  readonly sensitive: boolean;
  readonly regex?: string;
}

/** The variables a stored profile declares, read from its YAML (for the attach form). */
export function profileVariables(yaml: string, profile: string): VariableSpec[] {
  try {
    for (const doc of parseAllDocuments(yaml)) {
      if (!('toJS' in doc)) continue;
      const value: unknown = doc.toJS();
      if (typeof value !== 'object' || value === null) continue;
      const v = value as { metadata?: { name?: unknown }; spec?: { variables?: unknown } };
      if (v.metadata?.name !== profile || !Array.isArray(v.spec?.variables)) continue;
      return (v.spec.variables as unknown[]).flatMap((raw): VariableSpec[] => {
        if (typeof raw !== 'object' || raw === null) return [];
        const r = raw as Record<string, unknown>;
        if (typeof r.name !== 'string') return [];
        return [
          {
            name: r.name,
            ...(typeof r.description === 'string' ? { description: r.description } : {}),
            ...(typeof r.default === 'string' ? { default: r.default } : {}),
            ...(typeof r.regex === 'string' ? { regex: r.regex } : {}),
            required: r.required === true,
            sensitive: r.sensitive === true,
          },
        ];
      });
    }
  } catch {
    // A stored profile was valid when imported; if its text cannot be read here the form has no fields.
  }
  return [];
}
