/**
 * The @asyncapi/parser worker thread. It is spawned before the document is even read, so the parser's
 * import and set-up (about 0.35 s) overlap the main thread's YAML load and bundling; the bundled text
 * arrives by message.
 *
 * Most of a parse used to be ajv compiling the AsyncAPI 3 JSON Schema (the `asyncapi-document-resolved`
 * and `-unresolved` rules each compile their own variant, about 0.4 s together, on every run: Spectral
 * keeps its ajv instances per document). The worker hands Spectral those two validators precompiled:
 * ajv standalone code, generated on first use with the very options Spectral's own ajv instance has
 * (allErrors, messages, strict: false, allowUnionTypes, unicodeRegExp: false, ajv-formats, ajv-errors) and
 * cached in `node_modules/.cache/bloodbank-codegen/`, keyed by a hash of the schema and of the ajv
 * packages' versions. Same schema, same ajv, same code: the diagnostics are the same (a test compares
 * them). Any other schema, and any failure of the cache, falls back to Spectral's own compile.
 * `BLOODBANK_CODEGEN_CACHE=off` turns the cache off; `BLOODBANK_CODEGEN_CACHE=<dir>` moves it.
 */
import { codegenCacheDir } from './code-cache.js';

/** Where the worker caches the precompiled validators (null: nowhere). */
export const parserCacheDir = (parserPath: string): string | null => codegenCacheDir(parserPath);

export const PARSER_WORKER_SOURCE =
  String.raw`
const { parentPort, workerData, threadId } = require('node:worker_threads');
const { createRequire } = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const fromParser = createRequire(workerData.parserPath);
const { Parser } = fromParser(workerData.parserPath);

function precompile() {
  const setting = workerData.cacheDir;
  if (!setting) return;
  const spectralAjvPath = fromParser.resolve('@stoplight/spectral-functions/dist/schema/ajv');
  const fromSpectral = createRequire(spectralAjvPath);
  const spectralAjv = fromSpectral(spectralAjvPath);
  const original = spectralAjv.createAjvInstances;
  if (typeof original !== 'function') return;
  const paths = {
    ajv: fromSpectral.resolve('ajv'),
    formats: fromSpectral.resolve('ajv-formats'),
    errors: fromSpectral.resolve('ajv-errors'),
  };
  const version = (p) => {
    for (let d = path.dirname(p); d !== path.dirname(d); d = path.dirname(d)) {
      const f = path.join(d, 'package.json');
      if (fs.existsSync(f)) return JSON.parse(fs.readFileSync(f, 'utf8')).version + '@' + d;
    }
    return p;
  };
  // The worker's own source is part of the key: changing the options below invalidates the cache.
  const versions = [paths.ajv, paths.formats, paths.errors].map(version).join('|') + '|' + workerData.salt;
  const dir = setting;
  const DOCUMENT_SCHEMA = /^http:\/\/asyncapi\.com\/definitions\/[^/]+\/asyncapi-(resolved|unresolved)\.json$/;
  const memo = new Map();

  // Spectral's own set-up (@stoplight/spectral-functions dist/schema/ajv.js createAjvInstance), plus source code.
  function sourceAjv() {
    const Ajv = fromSpectral(paths.ajv).default;
    const { _ } = fromSpectral(paths.ajv);
    const ajv = new Ajv({
      allErrors: true,
      meta: true,
      messages: true,
      strict: false,
      allowUnionTypes: true,
      logger: false,
      unicodeRegExp: false,
      code: { source: true, formats: _` +
  '`require("ajv-formats/dist/formats").fullFormats`' +
  String.raw` },
    });
    fromSpectral(paths.formats).default(ajv);
    fromSpectral(paths.errors).default(ajv);
    ajv.addSchema(fromSpectral('./draft4.json'));
    ajv.addSchema(fromSpectral('ajv/dist/refs/json-schema-draft-06.json'));
    return ajv;
  }

  function validatorFor(schema) {
    const text = JSON.stringify(schema);
    const key = crypto.createHash('sha256').update(versions).update('\0').update(text).digest('hex').slice(0, 32);
    const known = memo.get(key);
    if (known === null) throw new Error('no cache here');
    if (known) return known;
    // One entry per schema ($id), e.g. asyncapi-3.0.0-resolved-<key>.cjs; a new key replaces the old.
    const stem = 'asyncapi-' + schema.$id.split('/').slice(-2).join('-').replace(/asyncapi-|\.json$/g, '') + '-';
    const file = path.join(dir, stem + key + '.cjs');
    let validate;
    try {
      validate = require(file);
      if (typeof validate !== 'function') throw new Error('not a validator');
    } catch {
      try {
        const ajv = sourceAjv();
        const standalone = fromSpectral('ajv/dist/standalone').default;
        const code = standalone(ajv, ajv.compile(schema)).replace(/require\("([^"]+)"\)/g, (_m, spec) =>
          'require(' + JSON.stringify(fromSpectral.resolve(spec)) + ')');
        fs.mkdirSync(dir, { recursive: true });
        const tmp = file + '.' + process.pid + '-' + threadId + '.tmp';
        fs.writeFileSync(tmp, code);
        fs.renameSync(tmp, file);
        for (const other of fs.readdirSync(dir)) {
          if (other.startsWith(stem) && other.endsWith('.cjs') && other !== path.basename(file)) fs.rmSync(path.join(dir, other), { force: true });
        }
        // The module just written, exactly as a later run will load it.
        validate = require(file);
      } catch (error) {
        // A read-only or missing cache directory: Spectral compiles the schema itself (the caller falls back).
        memo.set(key, null);
        throw error;
      }
    }
    memo.set(key, validate);
    return validate;
  }

  spectralAjv.createAjvInstances = function createAjvInstances() {
    const assign = original.apply(this, arguments);
    return function (schema, dialect, allErrors) {
      if (allErrors && (dialect === 'auto' || dialect === 'draft7') && schema && typeof schema.$id === 'string' && DOCUMENT_SCHEMA.test(schema.$id)) {
        try {
          return validatorFor(schema);
        } catch {
          // fall through to Spectral's compile
        }
      }
      return assign(schema, dialect, allErrors);
    };
  };
}

try {
  precompile();
} catch {
  // Spectral's internals moved: validate without the cache.
}

// Spectral validates a ruleset's definition (an ajv compile of its meta-schema, about 0.1 s) whenever one
// is constructed. The parser's core ruleset is a constant of the parser package, not user input: skip
// that check while the parser builds it.
let assertions = null;
let assertValidRuleset = null;
try {
  const core = fromParser.resolve('@stoplight/spectral-core');
  assertions = createRequire(core)('./ruleset/validation/assertions');
  assertValidRuleset = assertions.assertValidRuleset;
  if (typeof assertValidRuleset === 'function') assertions.assertValidRuleset = function () {};
} catch {
  assertions = null;
}
let parser;
try {
  parser = new Parser({ ruleset: { core: true, recommended: false } });
} finally {
  if (assertions && typeof assertValidRuleset === 'function') assertions.assertValidRuleset = assertValidRuleset;
}

parentPort.once('message', (text) => {
  parser
    .validate(text)
    .then((diagnostics) => {
      parentPort.postMessage({
        ok: true,
        errors: diagnostics
          .filter((d) => d.severity === 0)
          .map((d) => ({ message: d.message, severity: d.severity, path: d.path })),
      });
    })
    .catch((e) =>
      parentPort.postMessage({ ok: false, errors: [{ message: String((e && e.message) || e), severity: 0, path: [] }] }),
    );
});
`;
