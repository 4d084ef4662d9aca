/**
 * The AsyncAPI document's validation by @asyncapi/parser, through its public API only: the parser's core
 * ruleset (the recommended style rules are left out: they are advice, not validity). Runs in the parser's
 * worker thread (parser-worker.ts) or, when codegen runs from its TypeScript sources, in the calling
 * thread (load.ts says why).
 */
import { Parser } from '@asyncapi/parser';

/** One diagnostic of the parser, as plain data (it crosses a thread boundary). */
export interface ParserDiagnostic {
  readonly message: string;
  readonly severity: number;
  readonly path: ReadonlyArray<string | number>;
}

let parser: Parser | null = null;

/** The parser of this thread, built on first use (building it loads its rulesets: about 0.3 s). */
export function documentParser(): Parser {
  parser ??= new Parser({ ruleset: { core: true, recommended: false } });
  return parser;
}

/** The errors (severity 0) the parser finds in the document `text`; none when it is valid. */
export async function validateDocument(text: string): Promise<ParserDiagnostic[]> {
  const diagnostics = await documentParser().validate(text);
  return diagnostics
    .filter((d) => d.severity === 0)
    .map((d) => ({ message: d.message, severity: d.severity, path: [...d.path] }));
}
