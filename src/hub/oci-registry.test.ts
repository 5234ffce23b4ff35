import { describe, expect, it } from 'vitest';
import { passwordMayGoTo } from './oci-registry.js';

const may = (realm: string, registry: string) => passwordMayGoTo(new URL(realm), new URL(registry));

describe("where a registry's token challenge may send the source's password", () => {
  it('to a token service on the registry host over TLS, or to the registry itself', () => {
    expect(may('https://ghcr.io/token', 'https://ghcr.io/org/charts')).toBe(true);
    expect(may('https://harbor.example.com:8443/service/token', 'https://harbor.example.com/charts')).toBe(
      true,
    );
    expect(may('http://registry.test:5000/token', 'http://registry.test:5000/charts')).toBe(true);
  });

  it("to Docker Hub's documented token service only from Docker Hub's registry", () => {
    expect(may('https://auth.docker.io/token', 'https://registry-1.docker.io/library/x')).toBe(true);
    expect(may('https://auth.docker.io/token', 'https://registry.example.com/x')).toBe(false);
  });

  it('never to another host, though over TLS (Docker and oras-go would send it), nor in clear text', () => {
    expect(may('https://thief.example/token', 'https://registry.example.com/charts')).toBe(false);
    expect(
      may('https://registry.example.com.thief.example/token', 'https://registry.example.com/charts'),
    ).toBe(false);
    expect(may('http://registry.example.com/token', 'https://registry.example.com/charts')).toBe(false);
    expect(may('https://constructor/token', 'https://registry.example.com/charts')).toBe(false);
  });
});
