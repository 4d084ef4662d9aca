/** Programmatic codegen: `runCodegen({ input, out, check })`. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isCodegenError } from '../runtime/errors/codegen-error.js';
import type { GeneratedFile } from './generate.js';
import { type LoadOptions, loadModel } from './load.js';
import type { Model } from './model.js';
import { checkPolicy, policyFileOf } from './policy.js';
import { buildManifest, diffFiles, hashInputs, manifestFile, manifestUpToDate, writeFiles } from './write.js';

export type { GeneratedFile } from './generate.js';
export { loadModel, ROUTING_KEY } from './load.js';
export type { EventModel, Model } from './model.js';

export interface CodegenOptions {
  readonly input: string;
  readonly out: string;
  /** Compare instead of writing. */
  readonly check?: boolean;
  /**
   * With `check`: always regenerate in memory and compare every file, never answering from the manifest
   * (what CI runs: it does not trust a manifest that could have been edited along with the output).
   */
  readonly full?: boolean;
}

export interface CodegenResult {
  readonly model: Model | null;
  readonly files: readonly GeneratedFile[];
  /** Written paths, or (with `check`) stale paths, the manifest included. */
  readonly changed: readonly string[];
  /** `check` answered from the manifest without regenerating. */
  readonly fast: boolean;
}

/** `BLOODBANK_CODEGEN_TRACE=1`: print when each phase ends (ms since the start) to stderr. */
function phaseTrace(): (phase: string) => void {
  if (!process.env['BLOODBANK_CODEGEN_TRACE']) return () => undefined;
  const started = performance.now();
  return (phase) =>
    process.stderr.write(`codegen trace: ${Math.round(performance.now() - started)} ms ${phase}\n`);
}

/**
 * Build every output file (the manifest included) in memory. `out` (default `generated/` beside the
 * document) only decides the relative path by which generated/upcasters.ts imports `upcasters/`.
 */
export async function buildFiles(
  input: string,
  out: string = join(dirname(input), 'generated'),
  options: LoadOptions = {},
): Promise<{ model: Model; files: GeneratedFile[] }> {
  // Start the parser first (a worker thread when compiled), then load the emitter (ts-morph, ajv) meanwhile.
  const trace = phaseTrace();
  const modelPromise = loadModel(input, options);
  trace('model read, parser started');
  const [
    { generate, validatorGroups, withHeaderEvents },
    { ajvInput, compileConsumeGroupsInWorker, compileValidatorSubset },
    { findUpcasters },
    model,
  ] = await Promise.all([
    import('./generate.js'),
    import('./emit/validators.js'),
    import('./emit/upcasters.js'),
    modelPromise,
  ]);
  trace('emitter loaded (ts-morph, ajv)');
  let files: GeneratedFile[];
  try {
    // Validators are compiled per domain (generated/<domain>/validators/): the consume stages in a
    // worker thread when one is used, while this thread compiles the publish stages.
    // Header schemas (documents we did not write) are validated like payloads (generate.ts withHeaderEvents).
    const validated = withHeaderEvents(model);
    const groups = validatorGroups(model);
    const consume = compileConsumeGroupsInWorker(
      validated,
      groups.map((g) => g.exportNames),
    );
    let precompiled: Map<string, { publish: string; consume: string }> | undefined;
    if (consume) {
      const input = ajvInput(validated);
      const publish = groups.map(
        (g) => compileValidatorSubset(validated, input, new Set(g.exportNames), '').publish,
      );
      const consumed = await consume;
      precompiled = new Map(
        groups.map((g, i) => [g.dir, { publish: publish[i] ?? '', consume: consumed[i] ?? '' }]),
      );
    }
    files = generate(model, precompiled, findUpcasters(input, out, model));
    trace('files generated');
  } catch (error) {
    if (!(isCodegenError(error) && error.file !== model.input)) await model.validation;
    throw error;
  }
  await model.validation;
  trace('document validated (@asyncapi/parser)');
  const policy = policyFileOf(resolve(input));
  if (policy)
    checkPolicy(
      policy,
      model.events.map((e) => e.key),
    );
  const inputs = hashInputs(dirname(resolve(input)), [
    // Schemas converted from another format (Avro) are no files: their document is an input already.
    ...model.store
      .docs()
      .map((d) => d.file)
      .filter((f) => existsSync(f)),
    ...(policy ? [policy] : []),
  ]);
  return { model, files: [...files, manifestFile(buildManifest(inputs, files))] };
}

export async function runCodegen(options: CodegenOptions): Promise<CodegenResult> {
  if (options.check && !options.full && manifestUpToDate(options.out, dirname(options.input))) {
    return { model: null, files: [], changed: [], fast: true };
  }
  const { model, files } = await buildFiles(options.input, options.out);
  // The manifest is output too: one that names other sources or other package versions than those
  // installed is stale, even when every other file is the same.
  const changed = options.check ? diffFiles(options.out, files) : writeFiles(options.out, files);
  return { model, files, changed, fast: false };
}
