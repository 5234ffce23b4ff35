// A costly request is refused either because its caller's token is over its share (429) or because the hub
// itself is full (503, HUB_BUSY), both with Retry-After (heavy-requests.ts): the OpenAPI document lists both on
// every costly operation and says which is which, so a client can tell "slow down" from "the hub is busy".
import { describe, expect, it } from 'vitest';
import { HEAVY_OPERATIONS } from './heavy-requests.js';
import { buildOpenApi } from './openapi.js';
import { routeTable } from './routes/index.js';

type Operation = { operationId: string; responses: Record<string, { description: string }> };

describe('the OpenAPI document of costly operations', () => {
  const doc = buildOpenApi(routeTable, { version: 'test' }) as {
    paths: Record<string, Record<string, Operation>>;
  };
  const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));

  it('lists 429 (over its share) and 503 (the hub is full) on each, with Retry-After named', () => {
    const costly = operations.filter((op) => HEAVY_OPERATIONS.has(op.operationId));
    expect(costly.map((op) => op.operationId).sort()).toEqual([...HEAVY_OPERATIONS].sort());
    for (const op of costly) {
      expect(op.responses['429']?.description).toMatch(/over its share.*Retry-After/s);
      expect(op.responses['503']?.description).toMatch(/HUB_BUSY.*Retry-After/s);
    }
  });
});
