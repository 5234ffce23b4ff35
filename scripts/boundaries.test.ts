// The architecture's boundaries (docs/architecture.md) are lint rules (eslint.config.js): a wrong import in
// any folder fails `eslint .`. Each case lints a file as if it stood at that path, with the project's own
// config.
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const RULE = '@typescript-eslint/no-restricted-imports';
// The project's config with only the boundary rule run, and without type information (the rule needs none):
// a case takes milliseconds instead of building the whole TypeScript program.
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: [tseslint.configs.disableTypeChecked],
  ruleFilter: ({ ruleId }) => ruleId === RULE,
});

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    [
      'src/status/leak.ts',
      "export { ClusterRunner } from '../engine/index.js';",
      'src/status may not import src/engine',
    ],
    [
      'src/status/leak.ts',
      "export { loadProfileText } from '../profile/index.js';",
      'may not import values from src/profile',
    ],
    [
      'src/profile/leak.ts',
      "export { KubeClient } from '../kube/index.js';",
      'src/profile may not import src/kube',
    ],
    // profile and status used to import each other (profile compiled health rules with status's compiler);
    // the compiler is src/health-rules now, and the way back from profile to status is closed.
    [
      'src/profile/leak.ts',
      "export { compileHealthRule } from '../status/index.js';",
      'src/profile may not import src/status',
    ],
    [
      'src/profile/leak.ts',
      "export { isBuiltinGroup } from '../status/evaluate.js';",
      'src/profile may not import src/status',
    ],
    [
      'src/health-rules/leak.ts',
      "export { evaluateResource } from '../status/index.js';",
      'src/health-rules may not import src/status',
    ],
    [
      'src/health-rules/leak.ts',
      "import type { ClusterProfile } from '../profile/index.js';\nexport type P = ClusterProfile;",
      'src/health-rules may not import src/profile',
    ],
    [
      'src/engine/leak.ts',
      "export { createStore } from '../store/index.js';",
      'src/engine may not import src/store',
    ],
    ['src/store/leak.ts', "export { Hub } from '../hub/index.js';", 'src/store may not import src/hub'],
    [
      'src/hub/leak.ts',
      "export { createServer } from '../server/index.js';",
      'src/hub may not import src/server',
    ],
    [
      'src/server/routes/leak.ts',
      "export { createStore } from '../../store/index.js';",
      'may not import values from src/store',
    ],
    [
      'src/server/leak.ts',
      "export { ClusterRunner } from '../engine/index.js';",
      'src/server may not import src/engine',
    ],
    [
      'src/cli/leak.ts',
      "export { evaluate } from '../status/evaluate.js';",
      'src/cli may import only pack-phase.js, pack-reason.js of src/status',
    ],
    ['src/cli/commands/leak.ts', "export { KubeClient } from '../../kube/index.js';", 'of src/kube'],
    ['src/cli/leak.ts', "export { Hub } from '../hub/index.js';", 'src/cli may not import src/hub'],
    [
      'src/shared/leak.ts',
      "export { parseProfile } from '../profile/index.js';",
      'src/shared may not import src/profile',
    ],
    [
      'web/src/leak.ts',
      "export { Hub } from '../../src/hub/index.js';",
      'web/ may import only src/server/client-types',
    ],
  ])('%s: %s is an error', async (file, code, expected) => {
    const errors = await boundaryErrors(file, code);
    expect(errors).toEqual([expect.stringContaining(expected)]);
  });

  it.each([
    [
      'src/status/ok.ts',
      "import type { ClusterProfile } from '../profile/index.js';\nexport type P = ClusterProfile;",
    ],
    ['src/engine/ok.ts', "export { evaluateResource } from '../status/index.js';"],
    ['src/profile/ok.ts', "export { compileHealthRule } from '../health-rules/index.js';"],
    ['src/status/rules/ok.ts', "export { ruleBindings } from '../../health-rules/health-rule.js';"],
    ['src/hub/ok.ts', "export { createStore } from '../store/index.js';"],
    ['src/server/ok.ts', "import type { Store } from '../store/index.js';\nexport type S = Store;"],
    ['src/server/ok.ts', "export { StoreError } from '../store/index.js';"],
    ['src/server/serve.ts', "export { createStore } from '../store/index.js';"],
    ['src/cli/ok.ts', "export { packPhaseDisplay } from '../status/pack-phase.js';"],
    ['src/cli/commands/ok.ts', "export { inlineKubeconfig } from '../../kube/kubeconfig-inline.js';"],
    ['src/cli/ok.ts', "export { parseDuration } from '../shared/duration.js';"],
    ['src/engine/runner.test.ts', "export { createStore } from '../store/index.js';"],
    ['web/src/ok.ts', "export type { Pack } from '../../src/server/client-types';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await boundaryErrors(file, code)).toEqual([]);
  });
});
