// Passing a request to the replica that drives its cluster must never let the client choose where it goes.
import { describe, expect, it } from 'vitest';
import { forwardUrl } from './replica-forward.js';

const driver = 'http://10.0.0.7:7400';

describe('forwardUrl', () => {
  it('keeps the path and query of an ordinary request', () => {
    expect(forwardUrl('/api/v1/clusters/c/page?x=1', driver).href).toBe(
      'http://10.0.0.7:7400/api/v1/clusters/c/page?x=1',
    );
  });

  it('sends an absolute-form request line to the driver, not to the host it names', () => {
    // Fastify routes `GET http://169.254.169.254/api/v1/clusters/c/page` and keeps it whole in request.url.
    for (const url of [
      'http://169.254.169.254/api/v1/clusters/c/page',
      'https://user:pw@evil.example:8443/api/v1/clusters/c/page?x=1',
      '//evil.example/api/v1/clusters/c/page',
    ]) {
      const target = forwardUrl(url, driver);
      expect(target.origin).toBe('http://10.0.0.7:7400');
      expect(target.username).toBe('');
      expect(target.pathname).toBe('/api/v1/clusters/c/page');
    }
  });
});
