/** Worker thread: compiles the consume-stage validators while the main thread compiles the publish stage. */
import { parentPort, workerData } from 'node:worker_threads';
import { isCodegenError } from '../../runtime/errors/codegen-error.js';
import { compileStage, type AjvInput } from './validators.js';

try {
  parentPort?.postMessage({ ok: true, code: compileStage('consume', workerData as AjvInput) });
} catch (error) {
  parentPort?.postMessage(
    isCodegenError(error)
      ? {
          ok: false,
          file: error.file,
          pointer: error.pointer,
          message: error.message.replace(/^[^:]*: /, ''),
        }
      : { ok: false, file: '', pointer: '', message: String(error) },
  );
}
