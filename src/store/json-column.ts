// JSON columns are text on both backends (see schema.ts). The store wrote every value it reads back, so the
// parse is trusted; the type parameter documents the shape at each call site.
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape it wrote
export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}
