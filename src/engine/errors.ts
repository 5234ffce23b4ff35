/** Stable codes for what can go wrong while deploying a pack; the API maps them to problem+json later. */
export const EngineErrorCode = {
  RenderFailed: 'PACK_RENDER_FAILED',
  ApplyFailed: 'PACK_APPLY_FAILED',
  HelmMissing: 'HELM_MISSING',
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}
