import { BloodbankError } from './bloodbank-error.js';

/** Input to codegen is wrong. `file` and `pointer` (JSON pointer) say where. */
export class CodegenError extends BloodbankError {
  override name = 'CodegenError' as const;
  readonly file: string;
  readonly pointer: string;
  constructor(file: string, pointer: string, message: string, options?: { cause?: unknown }) {
    super(`${file}${pointer ? `#${pointer}` : ''}: ${message}`, options);
    this.file = file;
    this.pointer = pointer;
  }
}

export function isCodegenError(error: unknown): error is CodegenError {
  return error instanceof CodegenError;
}
