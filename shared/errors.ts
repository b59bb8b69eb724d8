/**
 * One error type for the whole project. Callers branch on `code`, never on the
 * message text (the zwave-js habit): messages are for people and may change.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'USAGE'
  | 'UNSUPPORTED'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'AUTH_FAILED'
  | 'PROTOCOL'
  | 'PARSE'
  | 'MINER_ERROR'
  | 'ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'BAD_SIGNATURE'
  | 'CONFLICT'
  | 'INTERNAL';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
  }
}

export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}

/** A readable one-line description of anything thrown, for logs and CLI output. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
