// Loaded first by bin/strata (`node --import dist/src/source-maps.js`): stack traces name the TypeScript
// lines of Strata's own code. Not `--enable-source-maps`, which also parses every map under node_modules
// (+22 MiB of RSS once @kubernetes/client-node loads; issue 15 wants a lean hub).
import { setSourceMapsSupport } from 'node:module';

setSourceMapsSupport(true, { nodeModules: false, generatedCode: false });
