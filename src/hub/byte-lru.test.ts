// Kept results (bundles for download, pack values as YAML): one build for requests that arrive together, kept
// within a byte budget (least recently used out first), dropped when idle, never kept when the build failed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ByteLru } from './byte-lru.js';

afterEach(() => {
  vi.useRealTimers();
});

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);
const sizeOf = (b: Buffer) => b.length;

describe('ByteLru', () => {
  it('builds once for requests that arrive together and for later ones', async () => {
    const cache = new ByteLru<Buffer>({ maxBytes: 1000, sizeOf });
    const build = vi.fn(() => Promise.resolve(bytes(10)));
    const [a, b] = await Promise.all([cache.build('k', build), cache.build('k', build)]);
    expect(await cache.build('k', build)).toBe(a);
    expect(b).toBe(a);
    expect(build).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(10);
  });

  it('stops a shared build once every request that shares it was closed, not when one of them was', async () => {
    const cache = new ByteLru<Buffer>({ maxBytes: 1000, sizeOf });
    let stop: AbortSignal | undefined;
    const build = (signal: AbortSignal) => {
      stop = signal;
      return new Promise<Buffer>((_resolve, reject) => {
        if (signal.aborted) reject(new Error('stopped'));
        signal.addEventListener('abort', () => {
          reject(new Error('stopped'));
        });
      });
    };
    const [first, second] = [new AbortController(), new AbortController()];
    const answers = [cache.build('k', build, first.signal), cache.build('k', build, second.signal)];
    first.abort();
    expect(stop?.aborted).toBe(false);
    second.abort();
    expect(stop?.aborted).toBe(true);
    for (const answer of answers) await expect(answer).rejects.toThrow('stopped');
    // A request without a signal never gives up: the others leaving does not stop its build.
    const third = new AbortController();
    void cache.build('j', build, third.signal);
    void cache.build('j', build).catch(() => undefined);
    third.abort();
    expect(stop?.aborted).toBe(false);
    // One already closed when it asks gives up at once.
    const closed = new AbortController();
    closed.abort();
    await expect(cache.build('i', build, closed.signal)).rejects.toThrow('stopped');
  });

  it('a request that comes after everyone left a build gets a build of its own, not the stopped one (review 15, item 5)', async () => {
    const cache = new ByteLru<Buffer>({ maxBytes: 1000, sizeOf });
    let release: (() => void) | undefined;
    const builds: AbortSignal[] = [];
    const build = (signal: AbortSignal) => {
      builds.push(signal);
      // Stopping takes a moment (a worker thread is ended): the stopped build fails only later.
      return new Promise<Buffer>((resolve, reject) => {
        signal.addEventListener('abort', () => {
          release = () => {
            reject(new Error('stopped'));
          };
        });
        if (builds.length === 2) resolve(bytes(10));
      });
    };
    const left = new AbortController();
    const first = cache.build('k', build, left.signal);
    left.abort();
    const second = cache.build('k', build);
    release?.();
    await expect(first).rejects.toThrow('stopped');
    expect(await second).toEqual(bytes(10));
    expect(builds.map((s) => s.aborted)).toEqual([true, false]);
    // The stopped build failing did not drop the new one's result.
    expect(cache.size).toBe(10);
  });

  it('keeps within its byte budget, dropping the least recently used first, and keeps none larger than it', async () => {
    const cache = new ByteLru<Buffer>({ maxBytes: 25, sizeOf });
    await cache.build('a', () => Promise.resolve(bytes(10)));
    await cache.build('b', () => Promise.resolve(bytes(10)));
    await cache.build('a', () => Promise.reject(new Error('a is kept')));
    await cache.build('c', () => Promise.resolve(bytes(10)));
    expect(cache.size).toBe(20);
    const rebuilt = vi.fn(() => Promise.resolve(bytes(10)));
    await cache.build('b', rebuilt);
    expect(rebuilt).toHaveBeenCalledTimes(1);
    await cache.build('huge', () => Promise.resolve(bytes(26)));
    expect(cache.size).toBe(20);
  });

  it('drops a bundle nobody asked for in a while, and keeps no failed build', async () => {
    vi.useFakeTimers();
    const cache = new ByteLru<Buffer>({ maxBytes: 1000, sizeOf, idleMs: 1000 });
    await cache.build('a', () => Promise.resolve(bytes(10)));
    vi.advanceTimersByTime(600);
    await cache.build('a', () => Promise.reject(new Error('a is kept')));
    vi.advanceTimersByTime(600);
    expect(cache.size).toBe(10);
    vi.advanceTimersByTime(500);
    expect(cache.size).toBe(0);

    await expect(cache.build('b', () => Promise.reject(new Error('no blob')))).rejects.toThrow('no blob');
    expect(await cache.build('b', () => Promise.resolve(bytes(3)))).toHaveLength(3);
  });
});
