import { defineConfig } from 'vitest/config';

// Two tiers: `unit` is pure and fast; `integration` starts real control planes from testenv/ (one per file,
// each on its own ports) and so runs files one at a time on these 2-core machines.
export default defineConfig({
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'testenv/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          // Not vitest's 5 s: some of this tier runs the real helm or a hub with SQLite in-process (render,
          // helm, stored-text, cli health), ~1-4 s on a quiet machine and 6-9 s at a load of 10 on these 2 cores,
          // where the default failed them with no fault of the code. A test that hangs still fails, 15 s later.
          testTimeout: 20_000,
        },
      },
      {
        // Components and the live-update reducer of web/, in a DOM.
        test: {
          name: 'web',
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          globalSetup: ['./scripts/build-dist.setup.ts'],
          exclude: ['node_modules/**'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
