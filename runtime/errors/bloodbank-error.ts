/** Base class of every error Bloodbank throws. `name` is the discriminant; wrap causes with `{ cause }`. */
export class BloodbankError extends Error {
  override name = 'BloodbankError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isBloodbankError(error: unknown): error is BloodbankError {
  return error instanceof BloodbankError;
}
