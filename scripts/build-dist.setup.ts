// Integration tests run bin/strata, which runs the compiled dist/: bring it up to date once before any test
// file starts, so a rebuild after a merge (tens of seconds on a busy machine) does not eat a test's start-up
// timeout. Does nothing when dist/ is current.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function setup(): void {
  execFileSync(join(import.meta.dirname, 'build-dist'), { stdio: 'inherit' });
}
