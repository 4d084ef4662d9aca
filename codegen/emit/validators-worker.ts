/** Worker thread: compiles the consume-stage validators while the main thread compiles the publish stage. */
import { parentPort, workerData } from 'node:worker_threads';
import { isCodegenError } from 'bloodbank/errors/codegen-error.js';
import { compileStage, type AjvInput } from './validators.js';

try {
  const { input, groups } = workerData as { input: AjvInput; groups: string[][] | null };
  // One consume module for all roots, or one per group of export names (a domain, the envelope).
  const code = groups
    ? groups.map((names) =>
        compileStage(
          'consume',
          input,
          undefined,
          input.roots.filter((r) => names.includes(r.exportName)),
        ),
      )
    : compileStage('consume', input);
  parentPort?.postMessage({ ok: true, code });
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
