// The public API of src/profile. Everything else in this folder is an implementation detail.
export {
  API_VERSION,
  KIND,
  Layer,
  LAYERS,
  PackType,
  ProfileType,
  PALETTE_PRIORITY_KEY,
  clusterProfileSchema,
} from './schema.js';
export type {
  ChartSource,
  ClusterProfile,
  FieldPath,
  HelmPack,
  KubeObject,
  ManifestPack,
  NamespaceSpec,
  Pack,
  Variable,
} from './model.js';
export {
  ChartSourceKind,
  DEFAULT_NAMESPACE,
  DEFAULT_TIMEOUT_MS,
  PrioritySource,
  formatPath,
} from './model.js';
export { remoteChartKey, type RemoteChartSource } from './remote-chart.js';
export {
  IssueKind,
  MAX_ISSUES,
  ProfileError,
  ProfileErrorCode,
  capIssues,
  formatIssue,
  formatIssues,
  unwrap,
  type ProfileIssue,
  type ProfileResult,
  type SourcePosition,
} from './errors.js';
export {
  MAX_PROFILE_BYTES,
  parseProfile,
  parseProfiles,
  type ParseOptions,
  type ParsedProfile,
} from './parse.js';
export {
  loadProfileFile,
  loadProfileFiles,
  loadParsedProfiles,
  loadProfileText,
  ReferenceKind,
  type FileSource,
  type LoadedProfile,
  type LoadOptions,
  type LoadTextOptions,
  type LocalReference,
  type SourceResult,
} from './load.js';
export { diskFiles, type DiskFiles } from './disk-files.js';
export {
  bundleProfileFile,
  bundleProfileText,
  profileUpload,
  type ProfileUploadBody,
} from './bundle-file.js';
export {
  BUNDLE_INDEX,
  BUNDLE_PROFILE,
  BundleError,
  BundleErrorCode,
  MAX_BUNDLE_BYTES,
  bundleFiles,
  bundleFolder,
  chartArchiveProblem,
  readBundle,
  readChartArchive,
  referencePath,
  writeBundle,
  writeBundleAsync,
  type Bundle,
  type BundleEntry,
  type BundleFiles,
  type ChartArchive,
} from './bundle.js';
export { detachedSource, type ProfileSource } from './source.js';
export { PROFILE_PARSER_VERSION } from './parser-version.js';
export { checkProfileUpload, type ProfileUploadCheck, type ProfileUploadInput } from './check-upload.js';
export { resolveProfile, type ResolvedProfile, type ResolveOptions } from './resolve.js';
export { Redactor, noRedaction } from './redact.js';
export { SENSITIVE_PLACEHOLDER, describeValue } from './describe.js';
export { maskSensitiveDefaults, sensitiveDefaultsOf } from './sensitive-defaults.js';
export { ALLOWED_LAYERS, checkComposition, packLabel } from './compose.js';
export {
  planCluster,
  planWaves,
  predecessors,
  type InstallPlan,
  type OrderedPack,
  type PlannedPack,
  type Wave,
} from './plan.js';
export { formatDuration, parseDuration } from '../shared/duration.js';
export { normalizeHealthChecks } from './health-checks.js';
export { HEALTH_RULES_KIND, parseHealthRulesFile } from './health-rules-file.js';
