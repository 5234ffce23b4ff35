// What bench/engine/events-install.ts runs: the engine and the fake kube, bundled by esbuild as
// scripts/build-dist bundles the hub that bin/strata runs (bench/engine-events.bench.ts builds it).
export { FakeKube } from '../../src/kube/testing/fake-kube.js';
export { ClusterRunner } from '../../src/engine/runner.js';
export { wavedPacks } from '../../src/engine/testing/waved-packs.js';
