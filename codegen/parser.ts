/**
 * @asyncapi/parser, where it runs (a worker thread or this one, see ParserMode) and what it is given: the
 * document bundled into one JSON text whose `$ref`s are all internal. Answers with the parser's verdict and
 * the document's structure read from its model (validate-document.ts).
 */
import { Worker } from 'node:worker_threads';
import { CodegenError } from '../runtime/errors/codegen-error.js';
import type { ParserReply } from './parser-worker.js';
import type { ParsedDocument, ParserDiagnostic } from './validate-document.js';
import { escapePointer, isObject, SchemaStore } from './schema-store.js';
import type { Json, JsonObject, SchemaDoc } from './schema-store.js';

/** The document as the parser sees it: one JSON text, every file's schema moved under `components.schemas`. */
export interface ParserInput {
  readonly text: string;
  /** `components.schemas` name → the file it came from (display path), to map diagnostics back. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Bundle the document and the schema files it references into one JSON document whose `$ref`s are all
 * internal. The parser's resolver copies the whole document per external file it follows (quadratic);
 * internal refs are much cheaper, and the document it validates is the same.
 */
export function bundleForParser(store: SchemaStore, main: SchemaDoc): ParserInput {
  const names = new Map<SchemaDoc, string>();
  const files: Record<string, string> = {};
  const pending: SchemaDoc[] = [];
  const nameOf = (d: SchemaDoc): string => {
    let n = names.get(d);
    if (!n) {
      n = `bloodbank_file_${names.size}`;
      names.set(d, n);
      files[n] = store.display(d.file);
      pending.push(d);
    }
    return n;
  };
  const rewrite = (node: Json, d: SchemaDoc, pointer: string): Json => {
    if (Array.isArray(node)) return node.map((n, i) => rewrite(n, d, `${pointer}/${i}`));
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const t = store.resolve(v, { doc: d, pointer });
        out[k] = t.doc === main ? `#${t.pointer}` : `#/components/schemas/${nameOf(t.doc)}${t.pointer}`;
      } else if (k === 'examples' || k === 'example' || k === 'default' || k === 'const' || k === 'enum')
        out[k] = v;
      else out[k] = rewrite(v, d, `${pointer}/${escapePointer(k)}`);
    }
    return out;
  };
  const root = rewrite(main.json, main, '') as JsonObject;
  const components: JsonObject = isObject(root['components']) ? { ...root['components'] } : {};
  const schemas: JsonObject = isObject(components['schemas']) ? { ...components['schemas'] } : {};
  for (let d = pending.shift(); d; d = pending.shift()) {
    const body = rewrite(d.json, d, '');
    if (isObject(body)) {
      delete body['$id'];
      delete body['$schema'];
    }
    schemas[names.get(d) as string] = body;
  }
  components['schemas'] = schemas;
  root['components'] = components;
  return { text: JSON.stringify(root), files };
}

export interface DocumentParser {
  /** Parse the bundled document (once); resolves with its structure when the parser accepts it. */
  parse(input: ParserInput, display: string): Promise<ParsedDocument>;
  /** Stop the parser's worker, if any, without validating. */
  terminate(): void;
}

/**
 * Where @asyncapi/parser runs. Compiled (dist/, the `bloodbank-codegen` bin, `npm run codegen`), in a worker
 * thread running codegen/parser-worker.js: the parse takes most of codegen's time, and in the worker it
 * overlaps the main thread's model building and emitting. From the TypeScript sources (tsx, vitest), in
 * this thread: on Node 20 a worker cannot start from a .ts file (tsx's loader does not reach a worker's
 * entry module: `execArgv: ['--import', 'tsx']` fails with ERR_UNKNOWN_FILE_EXTENSION), and the worker
 * buys speed only; the verdict is the same either way (test/codegen/parser-worker.test.ts).
 */
export type ParserMode = 'worker' | 'in-process';

const defaultParserMode = (): ParserMode => (import.meta.url.endsWith('.ts') ? 'in-process' : 'worker');

/** Start the parser (see ParserMode); the worker is spawned at once and loads the parser meanwhile. */
export function startParser(mode: ParserMode = defaultParserMode()): DocumentParser {
  if (mode === 'in-process') {
    return {
      async parse(input, display) {
        const { parseDocument } = await import('./validate-document.js');
        const result = await parseDocument(input.text).catch((error: unknown) => ({
          errors: [
            { message: error instanceof Error ? error.message : String(error), severity: 0, path: [] },
          ],
          document: null,
        }));
        if (result.errors.length > 0 || !result.document)
          throw diagnosticError(result.errors, input, display);
        return result.document;
      },
      terminate() {},
    };
  }
  const worker = new Worker(new URL('./parser-worker.js', import.meta.url));
  const result = new Promise<ParserReply>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the parser's worker exited with code ${code}`)));
  });
  result.catch(() => undefined);
  return {
    parse(input, display) {
      worker.postMessage(input.text);
      return result.then(
        (reply) => {
          void worker.terminate();
          const errors = reply.ok ? reply.errors : [{ message: reply.message, severity: 0, path: [] }];
          if (errors.length > 0 || !reply.ok || !reply.document)
            throw diagnosticError(errors, input, display);
          return reply.document;
        },
        (cause: Error) => {
          void worker.terminate();
          throw new CodegenError(display, '', `AsyncAPI parser failed: ${cause.message}`, { cause });
        },
      );
    },
    terminate() {
      void worker.terminate();
    },
  };
}

/** Validate a bundled document with @asyncapi/parser (in a worker thread when running compiled). */
export function startValidation(
  input: ParserInput,
  display: string,
  mode: ParserMode = defaultParserMode(),
): Promise<void> {
  return startParser(mode)
    .parse(input, display)
    .then(() => undefined);
}

/** The first diagnostic as a CodegenError; one inside a bundled schema file points back at that file. */
function diagnosticError(
  errors: readonly ParserDiagnostic[],
  input: ParserInput,
  display: string,
): CodegenError {
  const where = (d: ParserDiagnostic | undefined): { file: string; pointer: string } => {
    const path = d?.path ?? [];
    const file = path[0] === 'components' && path[1] === 'schemas' ? input.files[String(path[2])] : undefined;
    const rest = file ? path.slice(3) : path;
    return {
      file: file ?? display,
      pointer: rest.length > 0 ? '/' + rest.map((p) => escapePointer(String(p))).join('/') : '',
    };
  };
  const first = where(errors[0]);
  const more =
    errors.length > 1
      ? ` (and ${errors.length - 1} more: ${errors
          .slice(1, 4)
          .map((e) => {
            const w = where(e);
            return `${w.file}#${w.pointer}: ${e.message}`;
          })
          .join('; ')})`
      : '';
  return new CodegenError(
    first.file,
    first.pointer,
    `invalid AsyncAPI document: ${errors[0]?.message ?? 'unparsable'}${more}`,
  );
}
