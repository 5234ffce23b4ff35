import { describe, expect, it } from 'vitest';
import { isLoopbackHost, plainHttpRefusal } from './plain-http.js';

describe('plainHttpRefusal (review 10, finding 8)', () => {
  it('lets a token go over https anywhere, and over http to this machine', () => {
    for (const url of [
      'https://hub.example.com',
      'https://10.0.0.5:7400',
      'http://127.0.0.1:7400',
      'http://127.1.2.3:7400',
      'http://localhost:7400',
      'http://api.localhost',
      'http://[::1]:7400',
      'http://[::ffff:127.0.0.1]:7400',
    ]) {
      expect(plainHttpRefusal(url, { insecureHttp: false }), url).toBeUndefined();
    }
  });

  it('refuses plain http to another host, naming it, unless asked for', () => {
    for (const url of [
      'http://hub.example.com',
      'http://10.0.0.5:7400',
      'http://[::2]',
      'http://127.0.0.1.evil.io',
    ]) {
      expect(plainHttpRefusal(url, { insecureHttp: false }), url).toContain(
        `${new URL(url).origin} is plain http://`,
      );
      expect(plainHttpRefusal(url, { insecureHttp: true }), url).toBeUndefined();
    }
  });

  it('reads host names as URL gives them', () => {
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('localhost.')).toBe(true);
    expect(isLoopbackHost('notlocalhost')).toBe(false);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost(new URL('http://[::ffff:127.0.0.1]').hostname)).toBe(true);
  });
});
