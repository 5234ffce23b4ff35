// Type guards for data that arrives untyped (parsed YAML and JSON, Kubernetes objects).

/** A plain object (not null, not an array), to read by key. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
