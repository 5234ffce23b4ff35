// The cluster runner and what it needs: the public API of src/engine.
export { ClusterRunner, type RunnerOptions } from './runner.js';
export { desiredPacks, type DesiredOptions, type DesiredPack } from './desired.js';
export { DriftPolicy, type RunnerEvent } from './events.js';
export { EngineError, EngineErrorCode } from './errors.js';
export { FIELD_MANAGER } from './drift.js';
export { noRegistryCredentials } from './helm.js';
export { DEFAULT_MEMORY_LIMIT_MIB, ranOutOfMemory, withMemoryLimit } from './memory-limit.js';
export { Label, renderPack, type RenderedPack } from './render.js';
export { MAX_RECENT_WARNINGS, recentWarnings, type RecentWarning } from './recent-warnings.js';
export { MemoryRenderCache, type RenderCache, type RenderCacheEntry } from './render-cache.js';
