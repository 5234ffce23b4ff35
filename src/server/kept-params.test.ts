// A route's path parameters are parsed once per set of values (app.ts keptParams): 20 readers polling a page
// name the same cluster every time (issue 15, fast reads). The answer is the same, a refusal is still a 400
// naming the parameter, and values that differ only in where one ends and the next begins are not confused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SqliteBackend } from '../store/testing/backends.js';
import { API_PREFIX, jsonRoute, Role } from './route.js';
import { startTestHub, type TestHub } from './testing/server.js';

const backend = new SqliteBackend();
let t: TestHub;
let parses = 0;
const seen: unknown[] = [];

const EchoParams = z.object({
  a: z.string().refine((value) => {
    parses++;
    return value !== 'bad';
  }, 'must not be "bad"'),
  b: z.string(),
});

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, {
    server: {
      webRoot: false,
      routes: [
        jsonRoute({
          method: 'GET',
          path: `${API_PREFIX}/echo/{a}/{b}`,
          operationId: 'echo',
          tag: 'status',
          summary: 'Echoes its path parameters',
          role: Role.Viewer,
          params: EchoParams,
          status: 200,
          response: z.object({ a: z.string(), b: z.string() }),
          errors: [],
          handler: ({ params }) => {
            seen.push(params);
            return Promise.resolve({ a: params.a, b: params.b });
          },
        }),
      ],
    },
  });
});
afterAll(async () => {
  await t.close();
  await backend.teardown();
});

describe('path parameters', () => {
  it('are parsed once per set of values, and a refusal is refused every time', async () => {
    parses = 0;
    for (let i = 0; i < 3; i++) {
      const res = await t.api('GET', `${API_PREFIX}/echo/x/y`, { role: 'viewer' });
      expect(res.json).toEqual({ a: 'x', b: 'y' });
    }
    expect(parses).toBe(1);
    expect(seen.at(-1)).toBe(seen.at(-2));
    expect(Object.isFrozen(seen.at(-1))).toBe(true);
    // Where the first value ends matters: "x%3Ay" + "z" is not "x" + "y%3Az".
    expect((await t.api('GET', `${API_PREFIX}/echo/1%3Ax/y`, { role: 'viewer' })).json).toEqual({
      a: '1:x',
      b: 'y',
    });
    expect((await t.api('GET', `${API_PREFIX}/echo/1/x%3Ay`, { role: 'viewer' })).json).toEqual({
      a: '1',
      b: 'x:y',
    });
    for (let i = 0; i < 2; i++) {
      const refused = await t.api('GET', `${API_PREFIX}/echo/bad/y`, { role: 'viewer' });
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({
        code: 'INVALID_REQUEST',
        detail: 'path parameter a: must not be "bad"',
      });
    }
  });
});
