/**
 * Worker thread entry (codegen/load.ts starts it when codegen runs compiled): builds the parser as soon as
 * it starts, so that loading @asyncapi/parser overlaps the main thread's reading of the document, then
 * validates the one document text it is sent and answers with a ParserReply.
 */
import { parentPort } from 'node:worker_threads';
import { documentParser, type ParserDiagnostic, validateDocument } from './validate-document.js';

/** The worker's answer: the parser's errors, or the failure of the parser itself. */
export type ParserReply =
  | { readonly ok: true; readonly errors: readonly ParserDiagnostic[] }
  | { readonly ok: false; readonly message: string };

const port = parentPort;
if (!port) throw new Error('codegen/parser-worker runs as a worker thread (see codegen/load.ts)');
documentParser();
port.once('message', (text: string) => {
  validateDocument(text).then(
    (errors) => port.postMessage({ ok: true, errors } satisfies ParserReply),
    (error: unknown) =>
      port.postMessage({
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies ParserReply),
  );
});
