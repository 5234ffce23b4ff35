// @bufbuild/cel is loaded by the first compileExpression, not when the hub imports the health rules (issue
// 15: an idle hub under 80 MiB). Checked in a fresh Node process, where no other test has loaded it yet.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

const script = `
import { registerHooks } from 'node:module';
const urls = [];
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    urls.push(resolved.url);
    return resolved;
  },
});
// Either build (ES module or CommonJS), however it is reached.
const loaded = () => urls.some((url) => url.includes('/@bufbuild/cel/'));
const { compileExpression, CelResultType } = await import('./src/health-rules/cel.ts');
const before = loaded();
const result = compileExpression('status.phase == "Ready"', { resultType: CelResultType.Bool });
const verdict = result.ok ? result.program.evaluate({ status: { phase: 'Ready' } }) : result.issues;
console.log(JSON.stringify({ before, after: loaded(), verdict }));
`;

describe('CEL loading', () => {
  it('loads @bufbuild/cel on the first compile, not on import, and the rule then works', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root },
    );
    expect(JSON.parse(stdout)).toEqual({
      before: false,
      after: true,
      verdict: { kind: 'Value', value: true },
    });
  });
});
