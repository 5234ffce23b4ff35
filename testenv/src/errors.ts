/** A control-plane step that failed, named so the user knows where to look and what to do. */
export class TestenvError extends Error {
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(`${step}: ${message}${options?.hint ? `\n  hint: ${options.hint}` : ''}`, {
      cause: options?.cause,
    });
    this.name = 'TestenvError';
  }
}
