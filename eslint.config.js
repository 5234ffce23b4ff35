// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The architecture's boundaries (docs/architecture.md, "Boundaries"): for each folder of src/, the folders of
 * src/ it may import (`may`), those it may import types from only (`types`), and for a folder it may use only
 * part of, the files it may import (`only`). Anything else is a lint error. Tests and test support (which set
 * up whatever they need) are exempt; the composition root (src/main.ts, src/config.ts) is not a folder.
 * Matching is on the import path as written: `../store/x.js` from src/server, `../../store/x.js` from
 * src/server/routes.
 */
const boundaries = {
  shared: { may: [] },
  // Health rules (CEL): compiled at load by profile, with positioned errors, and evaluated by status.
  'health-rules': { may: ['shared'] },
  profile: { may: ['shared', 'health-rules'] },
  status: { may: ['shared', 'health-rules'], types: ['profile'] },
  kube: { may: ['shared'] },
  engine: { may: ['shared', 'health-rules', 'profile', 'status', 'kube'] },
  store: { may: ['shared'], types: ['health-rules', 'profile', 'status'] },
  hub: { may: ['shared', 'health-rules', 'profile', 'status', 'kube', 'engine', 'store'] },
  // The server reaches the store through the hub; it names store types and maps StoreError to HTTP. Only its
  // composition root (`roots`: serve.ts and the first admin token, which open the store) imports more of it.
  server: {
    may: ['shared', 'hub', 'health-rules', 'profile', 'status'],
    types: ['store'],
    names: { store: ['StoreError', 'StoreErrorCode', 'isStoreError'] },
    roots: { files: ['serve.ts', 'admin-token.ts'], may: ['store'] },
  },
  // The CLI talks to the hub over HTTP (server client types; `strata serve` starts one). On the user's
  // machine it bundles local profile files with the hub's own loader (profile), inlines kubeconfig files
  // (kube's client side only) and shows phases with the same display tables as the hub (status's only).
  // The agent (issue 16) runs the engine beside a cluster and talks to the hub over HTTP in the hub's own
  // declared protocol (one contract: src/hub/agents-protocol.ts, zod only).
  agent: {
    may: ['shared', 'health-rules', 'profile', 'status', 'kube', 'engine'],
    only: { hub: ['agents-protocol.js'] },
  },
  cli: {
    may: ['shared', 'server', 'profile'],
    only: {
      agent: ['main.js'],
      kube: ['kubeconfig-inline.js', 'errors.js'],
      status: ['pack-phase.js', 'pack-reason.js'],
    },
  },
};
const folders = [...Object.keys(boundaries), 'testenv', 'scripts', 'bench', 'web'];
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An import path that climbs out of the file's folder into `folder` (optionally not into `except` files). */
const into = (folder, except = []) =>
  `^(\\.\\./)+${folder}(/|$)` + (except.length === 0 ? '' : `(?!(${except.map(escape).join('|')})$)`);

const testFiles = ['**/*.test.ts', '**/testing/**'];

/** The no-restricted-imports patterns of one folder's rule. */
function restrictions(folder, rule, may) {
  return folders
    .filter((other) => other !== folder && !may.includes(other))
    .map((other) => {
      const only = rule.only?.[other];
      const names = rule.names?.[other];
      const types = rule.types?.includes(other);
      return {
        regex: into(other, only),
        message: only
          ? `src/${folder} may import only ${only.join(', ')} of src/${other} (docs/architecture.md, Boundaries).`
          : `src/${folder} may not import ${types ? 'values from ' : ''}src/${other} (docs/architecture.md, Boundaries).`,
        ...(types ? { allowTypeImports: true } : {}),
        ...(names ? { allowImportNames: names } : {}),
      };
    });
}

const boundaryRules = Object.entries(boundaries).flatMap(([folder, rule]) => {
  const roots = (rule.roots?.files ?? []).map((file) => `src/${folder}/${file}`);
  const block = (files, ignores, may) => ({
    files,
    ignores,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: restrictions(folder, rule, may) }],
    },
  });
  return [
    block([`src/${folder}/**/*.ts`], [...testFiles, ...roots], rule.may),
    ...(roots.length === 0 ? [] : [block(roots, [], [...rule.may, ...rule.roots.may])]),
  ];
});

// The UI talks only to the HTTP API: of src/ it imports only the generated client types.
const webBoundary = {
  files: ['web/src/**/*.{ts,tsx}'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex:
              '^(\\.\\./)+src/(?!(server/client-types|server/sse-parser|status/display|shared/[a-z-]+)(\\.js)?$)',
            message:
              'web/ may import only src/server/client-types, src/server/sse-parser, src/status/display and src/shared of src/ ' +
              '(docs/architecture.md, Boundaries; ADR 0008).',
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'web/dist/',
      'node_modules/',
      'coverage/',
      'testenv/.state/',
      'testenv/go/',
      'test-results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Switches over discriminated unions end in assertNever (style.md rule 2); this rule would demand a
      // redundant default branch.
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // @kubernetes/client-node declares its models (V1Pod, …) as classes only to carry (de)serialisation
      // metadata; plain object literals are how its own docs build them, and the API accepts them as they are.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-misused-spread': [
        'error',
        {
          allow: [
            {
              from: 'package',
              package: '@kubernetes/client-node',
              name: ['V1PodSpec', 'V1ObjectMeta', 'V1PodTemplateSpec'],
            },
          ],
        },
      ],
    },
  },
  ...boundaryRules,
  webBoundary,
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
