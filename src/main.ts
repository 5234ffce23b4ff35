// Starts the hub: `node dist/src/main.js [serve] [--address …] [--data-dir …] …` or `npx tsx src/main.ts`.
// The strata CLI (src/cli) calls `serve` from './server/index.js' for `strata serve`; this file is the
// entry point until it exists.
import { ConfigError } from './config.js';
import { serve } from './server/index.js';

const args = process.argv.slice(2);
const argv = args[0] === 'serve' ? args.slice(1) : args;

serve({ argv }).catch((error: unknown) => {
  // Configuration and store errors carry a message written for the operator; anything else too, but shown
  // with its name so a bug is recognisable.
  const text =
    error instanceof ConfigError || (error instanceof Error && error.name === 'StoreError')
      ? error.message
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  process.stderr.write(`strata: ${text}\n`);
  process.exit(1);
});
