/**
 * Worker thread entry (codegen/load.ts starts it when codegen runs compiled): builds the parser as soon as
 * it starts, so that loading @asyncapi/parser overlaps the main thread's reading of the document, then
 * parses the one document text it is sent and answers with a ParserReply: the parser's errors and the
 * document's structure read from the parser's model (validate-document.ts).
 */
import { parentPort } from 'node:worker_threads';
import { documentParser, type ParseResult, parseDocument } from './validate-document.js';

/** The worker's answer: what the parser found, or the failure of the parser itself. */
export type ParserReply =
  ({ readonly ok: true } & ParseResult) | { readonly ok: false; readonly message: string };

const port = parentPort;
if (!port) throw new Error('codegen/parser-worker runs as a worker thread (see codegen/load.ts)');
documentParser();
port.once('message', (text: string) => {
  parseDocument(text).then(
    (result) => port.postMessage({ ok: true, ...result } satisfies ParserReply),
    (error: unknown) =>
      port.postMessage({
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies ParserReply),
  );
});
