// testenv/build's first-run output (issue 18): one progress line per component with an estimate, Go's
// `go: downloading` lines hidden unless STRATA_VERBOSE=1, and Go's errors shown when a build fails. A fake `go`
// on PATH stands in for the real toolchain, so this runs in milliseconds and builds nothing.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = resolve(import.meta.dirname, '..', 'build');

const FAKE_GO = `#!/usr/bin/env bash
case "$1" in
  env) echo go1.24.0; exit 0 ;;
  build) ;;
  *) exit 2 ;;
esac
for i in $(seq 1 30); do echo "go: downloading example.com/m$i v1.0.$i" >&2; done
if [ -n "\${FAKE_GO_FAIL:-}" ]; then echo "cmd/x/main.go:3:2: undefined: y" >&2; exit 1; fi
shift; out=""; pkgs=()
while [ $# -gt 0 ]; do
  case "$1" in -o) out=$2; shift ;; -trimpath) ;; -ldflags) shift ;; *) pkgs+=("$1") ;; esac
  shift
done
for p in "\${pkgs[@]}"; do
  name=\${p##*/}; case "$name" in v[0-9]*) p=\${p%/*}; name=\${p##*/} ;; esac
  printf '#!/bin/sh\\n' > "$out/$name"; chmod +x "$out/$name"
done
`;

function build(env: Record<string, string> = {}) {
  const fake = mkdtempSync(join(tmpdir(), 'strata-fake-go-'));
  writeFileSync(join(fake, 'go'), FAKE_GO);
  chmodSync(join(fake, 'go'), 0o755);
  const cache = mkdtempSync(join(tmpdir(), 'strata-cache-'));
  const run = () =>
    spawnSync('bash', [script], {
      encoding: 'utf8',
      env: { PATH: `${fake}:/usr/bin:/bin`, HOME: cache, STRATA_CACHE: cache, ...env },
    });
  return { first: run(), again: run(), cache };
}

describe('testenv/build', () => {
  it('prints one line per component with an estimate as it starts and one as it ends, no Go download lines', () => {
    const { first, again, cache } = build();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe(`${join(cache, 'testenv', 'bin')}\n`);
    const lines = first.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^testenv\/build: 5 of 5 components to build from source .*STRATA_VERBOSE=1/);
    expect(
      lines.filter((l) => /\[\d\/5\] building/.test(l)).map((l) => /\] building (.*?) from/.exec(l)?.[1]),
    ).toEqual([
      'kube-apiserver kube-controller-manager kube-scheduler kubectl',
      'etcd',
      'kwok',
      'helm',
      'registry',
    ]);
    expect(lines.find((l) => l.includes('[1/5] building'))).toMatch(
      /\(cold: 8-12 minutes on 2 cores; cached afterwards\)/,
    );
    expect(lines.filter((l) => /\[\d\/5\] built \w+ in \d+m\d\ds$/.test(l))).toHaveLength(5);
    expect(first.stderr).not.toContain('go: downloading');
    expect(lines).toHaveLength(11);
    // Warm: nothing built, nothing said.
    expect(again.status).toBe(0);
    expect(again.stderr).toBe('');
  });

  it("shows Go's output live with STRATA_VERBOSE=1", () => {
    const { first } = build({ STRATA_VERBOSE: '1' });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('go: downloading example.com/m1 v1.0.1');
  });

  it("shows Go's errors, without the download lines, when a build fails", () => {
    const { first, cache } = build({ FAKE_GO_FAIL: '1' });
    expect(first.status).toBe(1);
    expect(first.stderr).toContain('cmd/x/main.go:3:2: undefined: y');
    expect(first.stderr).not.toContain('go: downloading');
    expect(first.stderr).toContain(
      `testenv/build: building kubernetes failed (Go's errors above; full output in ${join(cache, 'testenv', 'kubernetes-build.log')})`,
    );
  });
});
