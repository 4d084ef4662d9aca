/**
 * Loads schema documents (JSON or YAML files, and the AsyncAPI document itself) and resolves `$ref`s the
 * way both @asyncapi/parser (file paths) and ajv (`$id`) do: relative refs against the file, absolute
 * refs by `$id`. Every schema location has a stable key `file#pointer`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import spectralParsers from '@stoplight/spectral-parsers';
import { CodegenError } from '../runtime/errors/codegen-error.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SchemaDoc {
  /** Absolute path. */
  readonly file: string;
  /** `$id` when the document declares one, else `bloodbank:/local/<path under the input's folder>`. */
  readonly uri: string;
  readonly json: Json;
  /** Raw text, for hashing. */
  readonly text: string;
}

export interface Location {
  readonly doc: SchemaDoc;
  /** JSON pointer inside the document ('' for the root). */
  readonly pointer: string;
}

export function locationKey(loc: Location): string {
  return `${loc.doc.file}#${loc.pointer}`;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function getPointer(root: Json, pointer: string): Json | undefined {
  if (pointer === '' || pointer === '/') return root;
  let node: Json | undefined = root;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const token = decodeURIComponent(unescapePointer(raw));
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * YAML read exactly as @asyncapi/parser reads it (its Spectral YAML parser, @stoplight/yaml, with the same
 * options): a document the parser accepts is never refused here (a flow mapping indented less than its
 * key, merge keys), and a duplicate key is an error for both.
 */
function readYaml(text: string): Json {
  const { data, diagnostics } = spectralParsers.parseYaml(text);
  const error = diagnostics.find((d) => d.severity === 0);
  if (error)
    throw new Error(
      `${error.message} (line ${error.range.start.line + 1}, column ${error.range.start.character + 1})`,
    );
  // A plain copy: the parser's objects carry a key-order symbol ajv and structuredClone need not see.
  return JSON.parse(JSON.stringify(data ?? null)) as Json;
}

/** Keys under which values are data, not schemas: never rewrite or walk refs inside them. */
const DATA_KEYWORDS = new Set(['examples', 'example', 'default', 'const', 'enum']);

export class SchemaStore {
  private readonly byFile = new Map<string, SchemaDoc>();
  private readonly byUri = new Map<string, SchemaDoc>();

  /** The directory whose path displays relative to (the AsyncAPI document's folder). */
  constructor(readonly root: string) {}

  docs(): SchemaDoc[] {
    return [...this.byFile.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }

  display(file: string): string {
    return relative(this.root, file) || file;
  }

  load(file: string): SchemaDoc {
    const abs = resolvePath(file);
    const known = this.byFile.get(abs);
    if (known) return known;
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (cause) {
      throw new CodegenError(this.display(abs), '', 'cannot read file', { cause });
    }
    let json: Json;
    try {
      json = /\.ya?ml$/i.test(abs) ? readYaml(text) : (JSON.parse(text) as Json);
    } catch (cause) {
      throw new CodegenError(
        this.display(abs),
        '',
        `invalid ${/\.ya?ml$/i.test(abs) ? 'YAML' : 'JSON'}: ${(cause as Error).message}`,
        { cause },
      );
    }
    const id = isObject(json) && typeof json['$id'] === 'string' ? json['$id'].replace(/#$/, '') : null;
    const doc: SchemaDoc = { file: abs, uri: id ?? this.localUri(abs), json, text };
    const clash = this.byUri.get(doc.uri);
    if (clash && clash.file !== abs) {
      throw new CodegenError(
        this.display(abs),
        '/$id',
        `$id ${doc.uri} is also declared by ${this.display(clash.file)}`,
      );
    }
    this.byFile.set(abs, doc);
    this.byUri.set(doc.uri, doc);
    return doc;
  }

  /**
   * The id of a document without `$id`: its path under the input's folder, so generated output does not
   * depend on where the repository is checked out.
   */
  private localUri(abs: string): string {
    const rel = relative(this.root, abs).split(/[\\/]/).map(encodeURIComponent).join('/');
    return rel.startsWith('..') ? pathToFileURL(abs).href : `bloodbank:/local/${rel}`;
  }

  /** Register a document that is not on disk (tests, synthetic inputs). */
  addDocument(file: string, json: Json): SchemaDoc {
    const abs = resolvePath(file);
    const id = isObject(json) && typeof json['$id'] === 'string' ? json['$id'].replace(/#$/, '') : null;
    const doc: SchemaDoc = {
      file: abs,
      uri: id ?? this.localUri(abs),
      json,
      text: JSON.stringify(json),
    };
    this.byFile.set(abs, doc);
    this.byUri.set(doc.uri, doc);
    return doc;
  }

  /** Load every `.json` file under `dir` (so absolute `$id` refs resolve). */
  preload(dir: string): void {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of entries) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) this.preload(path);
      else if (name.endsWith('.json')) this.load(path);
    }
  }

  get(loc: Location): Json | undefined {
    return getPointer(loc.doc.json, loc.pointer);
  }

  /** Resolve a `$ref` written at `from`. */
  resolve(ref: string, from: Location): Location {
    const hash = ref.indexOf('#');
    const target = hash === -1 ? ref : ref.slice(0, hash);
    const pointer = hash === -1 ? '' : decodeURI(ref.slice(hash + 1));
    let doc: SchemaDoc | undefined;
    if (target === '') doc = from.doc;
    else if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      doc = this.byUri.get(target);
      if (!doc && target.startsWith('file:')) doc = this.load(fileURLToPath(target));
      if (!doc) {
        // An absolute ref under the referring document's $id base: map it onto the file tree.
        const base = from.doc.uri;
        if (!base.startsWith('file:')) {
          const rel = relativeUrl(base, target);
          if (rel !== null) doc = this.load(resolvePath(dirname(from.doc.file), rel));
        }
      }
      if (!doc)
        throw new CodegenError(
          this.display(from.doc.file),
          from.pointer,
          `$ref ${ref} does not resolve to a known $id`,
        );
    } else {
      const path = resolvePath(dirname(from.doc.file), decodeURI(target));
      doc = this.byFile.get(path) ?? this.load(path);
    }
    const loc = { doc, pointer: pointer === '/' ? '' : pointer };
    if (this.get(loc) === undefined) {
      throw new CodegenError(
        this.display(from.doc.file),
        from.pointer,
        `$ref ${ref} points at nothing (${this.display(doc.file)}#${pointer})`,
      );
    }
    return loc;
  }

  /** Follow `$ref` chains until a schema that is not a bare ref. */
  deref(loc: Location, seen = new Set<string>()): Location {
    const node = this.get(loc);
    if (
      isObject(node) &&
      typeof node['$ref'] === 'string' &&
      Object.keys(node).every((k) => k === '$ref' || k === 'description' || k === 'title')
    ) {
      const key = locationKey(loc);
      if (seen.has(key)) throw new CodegenError(this.display(loc.doc.file), loc.pointer, 'circular $ref');
      seen.add(key);
      return this.deref(this.resolve(node['$ref'], loc), seen);
    }
    return loc;
  }

  /** A copy of the document for ajv: every `$ref` rewritten to the canonical `uri#pointer`. */
  forAjv(doc: SchemaDoc): Json {
    const rewrite = (node: Json, pointer: string): Json => {
      if (Array.isArray(node)) return node.map((n, i) => rewrite(n, `${pointer}/${i}`));
      if (!isObject(node)) return node;
      const out: JsonObject = {};
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') {
          const target = this.resolve(value, { doc, pointer });
          out[key] = `${target.doc.uri}#${target.pointer}`;
        } else if (DATA_KEYWORDS.has(key)) out[key] = value;
        else out[key] = rewrite(value, `${pointer}/${escapePointer(key)}`);
      }
      return out;
    };
    const json = rewrite(doc.json, '');
    return isObject(json) ? { ...json, $id: doc.uri } : json;
  }
}

function relativeUrl(base: string, target: string): string | null {
  try {
    const b = new URL(base);
    const t = new URL(target);
    if (b.origin !== t.origin) return null;
    const from = b.pathname.split('/').slice(0, -1);
    const to = t.pathname.split('/');
    let i = 0;
    while (i < from.length && from[i] === to[i]) i++;
    return [...from.slice(i).map(() => '..'), ...to.slice(i)].join('/');
  } catch {
    return null;
  }
}
