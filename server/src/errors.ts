// Typed errors carry what a user needs to act on; the OData and web layers map them to responses in one place.
export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export abstract class LedgerfeedError extends Error {
  /** Stable machine-readable code (OData error `code`). */
  abstract readonly code: string;
  /** HTTP status this error answers with when it reaches a client. */
  abstract readonly status: number;
  readonly target?: string;
  readonly details: ErrorDetail[];
  constructor(message: string, options: { target?: string; details?: ErrorDetail[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.target = options.target;
    this.details = options.details ?? [];
  }
}

/** A configuration variable is missing or invalid; the message names the variable. */
export class ConfigurationError extends LedgerfeedError {
  readonly code = 'ConfigurationError';
  readonly status = 500;
}

/** The request itself is wrong (malformed query option, bad literal…); `position` is 0-based in the option text. */
export class InvalidQuery extends LedgerfeedError {
  readonly code = 'InvalidQuery';
  readonly status = 400;
  constructor(message: string, readonly position?: number, options: { target?: string; details?: ErrorDetail[] } = {}) {
    super(position === undefined ? message : `${message} (at position ${position})`, options);
  }
}

export class NotFound extends LedgerfeedError {
  readonly code = 'NotFound';
  readonly status = 404;
}

export class NotImplementedQuery extends LedgerfeedError {
  readonly code = 'NotImplemented';
  readonly status = 501;
}

export class Unauthorized extends LedgerfeedError {
  readonly code = 'Unauthorized';
  readonly status = 401;
}

export class Forbidden extends LedgerfeedError {
  readonly code = 'Forbidden';
  readonly status = 403;
}

export class TooManyRequests extends LedgerfeedError {
  readonly code = 'TooManyRequests';
  readonly status = 429;
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}
