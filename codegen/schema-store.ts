/**
 * Loads schema documents (JSON or YAML files, and the AsyncAPI document itself) and resolves `$ref`s the
 * way both @asyncapi/parser (file paths) and ajv (`$id`) do: relative refs against the file, absolute
 * refs by `$id`. Every schema location has a stable key `file#pointer`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import spectralParsers from '@stoplight/spectral-parsers';
import { CodegenError } from 'bloodbank/errors/codegen-error.js';

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

/**
 * A JSON pointer as a URI fragment (RFC 6901 §6): characters a fragment may not hold are percent-encoded
 * (`%` itself included), the rest kept, so `#/definitions/percent%25field` means the key `percent%field`.
 */
export function pointerFragment(pointer: string): string {
  return pointer.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]/gu, (c) => encodeURIComponent(c));
}

/** The value at a JSON pointer (`~0`/`~1` escaped, not percent-encoded); only own properties count. */
export function getPointer(root: Json, pointer: string): Json | undefined {
  if (pointer === '') return root;
  let node: Json | undefined = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = unescapePointer(raw);
    if (Array.isArray(node)) node = /^(0|[1-9][0-9]*)$/.test(token) ? node[Number(token)] : undefined;
    else if (isObject(node)) node = Object.hasOwn(node, token) ? node[token] : undefined;
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
  // JSON is YAML: a JSON text (a `.yaml` file written as JSON) is read by JSON.parse, which keeps a
  // `__proto__` key as an own property where a YAML reader's plain assignment turns it into a prototype.
  if (/^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as Json;
    } catch {
      // Not JSON after all (a YAML flow mapping): the YAML reader decides.
    }
  }
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
/** Keywords whose value maps names (property names, definition names) to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependencies']);
/**
 * The draft-07 keywords that validate: beside `$ref` they are ignored (draft-07 §8.3), which ajv does not
 * do, so codegen drops them (with a warning) before ajv sees the schema.
 */
const ASSERTIONS = new Set([
  'type',
  'enum',
  'const',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'format',
  'items',
  'additionalItems',
  'maxItems',
  'minItems',
  'uniqueItems',
  'contains',
  'maxProperties',
  'minProperties',
  'required',
  'properties',
  'patternProperties',
  'additionalProperties',
  'dependencies',
  'propertyNames',
  'if',
  'then',
  'else',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
]);

/** Resolve a URI reference against a base (RFC 3986), or null when it is no valid URI reference. */
function resolveUri(ref: string, base: string): string | null {
  try {
    return new URL(ref, base).href;
  } catch {
    return null;
  }
}

function splitFragment(uri: string): [string, string] {
  const hash = uri.indexOf('#');
  return hash === -1 ? [uri, ''] : [uri.slice(0, hash), uri.slice(hash + 1)];
}

export class SchemaStore {
  private readonly byFile = new Map<string, SchemaDoc>();
  private readonly byUri = new Map<string, SchemaDoc>();
  /**
   * Every schema resource by absolute URI (no fragment): each document under its file URL and its `$id`,
   * and every subschema with an `$id` (resolved against its parent's base URI); plain-name anchors
   * (`$id: "#foo"`) as `<resource>#foo`.
   */
  private readonly resources = new Map<string, Location>();
  private readonly warned = new Set<string>();

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
    return this.register(abs, json, text, true);
  }

  /** The id ajv knows a document by: its root `$id` (resolved), else its path under the input's folder. */
  private canonicalUri(abs: string, json: Json): string {
    const id =
      isObject(json) && typeof json['$id'] === 'string' && typeof json['$ref'] !== 'string'
        ? json['$id']
        : null;
    if (id === null || id.startsWith('#')) return this.localUri(abs);
    const resolved = resolveUri(id, this.localUri(abs));
    if (resolved === null)
      throw new CodegenError(
        this.display(abs),
        '/$id',
        `$id ${JSON.stringify(id)} is not a valid URI reference`,
      );
    return splitFragment(resolved)[0];
  }

  private register(abs: string, json: Json, text: string, checkClash: boolean): SchemaDoc {
    const doc: SchemaDoc = { file: abs, uri: this.canonicalUri(abs, json), json, text };
    const clash = this.byUri.get(doc.uri);
    if (checkClash && clash && clash.file !== abs) {
      throw new CodegenError(
        this.display(abs),
        '/$id',
        `$id ${doc.uri} is also declared by ${this.display(clash.file)}`,
      );
    }
    this.byFile.set(abs, doc);
    this.byUri.set(doc.uri, doc);
    const root: Location = { doc, pointer: '' };
    this.resources.set(pathToFileURL(abs).href, root);
    this.resources.set(doc.uri, root);
    this.index(doc, json, '', pathToFileURL(abs).href);
    return doc;
  }

  /** Record every `$id` (a new base URI, or a plain-name anchor) of a document, with its location. */
  private index(doc: SchemaDoc, node: Json, pointer: string, base: string): void {
    if (Array.isArray(node)) {
      node.forEach((child, i) => this.index(doc, child, `${pointer}/${i}`, base));
      return;
    }
    if (!isObject(node)) return;
    const here = this.baseBelow(doc, node, pointer, base, true);
    for (const [k, v] of Object.entries(node)) {
      if (DATA_KEYWORDS.has(k)) continue;
      const at = `${pointer}/${escapePointer(k)}`;
      if (SCHEMA_MAPS.has(k) && isObject(v))
        for (const [name, child] of Object.entries(v))
          this.index(doc, child, `${at}/${escapePointer(name)}`, here);
      else this.index(doc, v, at, here);
    }
  }

  /**
   * The base URI inside `node` (at `pointer`) given the base around it: changed by its `$id`, unless the
   * node is a `$ref` (draft-07 ignores a `$ref`'s siblings, `$id` included). With `record`, the `$id` is
   * registered as a resource (or a plain-name anchor).
   */
  private baseBelow(
    doc: SchemaDoc,
    node: JsonObject,
    pointer: string,
    base: string,
    record: boolean,
  ): string {
    const id = node['$id'];
    if (typeof id !== 'string' || typeof node['$ref'] === 'string') return base;
    const resolved = resolveUri(id, base);
    if (resolved === null)
      throw new CodegenError(
        this.display(doc.file),
        `${pointer}/$id`,
        `$id ${JSON.stringify(id)} is not a valid URI reference`,
      );
    const [resource, fragment] = splitFragment(resolved);
    const loc: Location = { doc, pointer };
    if (record) {
      const add = (key: string) => {
        const known = this.resources.get(key);
        if (known && locationKey(known) !== locationKey(loc) && !(known.pointer === '' && pointer === ''))
          throw new CodegenError(
            this.display(doc.file),
            `${pointer}/$id`,
            `$id ${key} is also declared at ${this.display(known.doc.file)}#${known.pointer}`,
          );
        this.resources.set(key, loc);
      };
      if (id.startsWith('#')) {
        if (fragment !== '' && !fragment.startsWith('/')) add(`${resource}#${fragment}`);
      } else {
        add(resource);
        if (fragment !== '' && !fragment.startsWith('/')) add(`${resource}#${fragment}`);
      }
    }
    return id.startsWith('#') ? base : resource;
  }

  /**
   * The document's own file URL, used as its base URI before any `$id` (so relative references between
   * files resolve as file paths, as @asyncapi/parser resolves them).
   */
  private baseOf(loc: Location): string {
    let base = pathToFileURL(loc.doc.file).href;
    let node: Json | undefined = loc.doc.json;
    let pointer = '';
    const tokens = loc.pointer === '' ? [] : loc.pointer.slice(1).split('/');
    for (let i = 0; ; i++) {
      if (isObject(node)) base = this.baseBelow(loc.doc, node, pointer, base, false);
      if (i === tokens.length) return base;
      const token = unescapePointer(tokens[i] as string);
      pointer = `${pointer}/${tokens[i] as string}`;
      if (Array.isArray(node)) node = node[Number(token)];
      else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
      else return base;
    }
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
    return this.register(resolvePath(file), json, JSON.stringify(json), false);
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

  /**
   * Resolve a `$ref` written at `from` as draft-07 says: against the base URI there (the file's URL,
   * changed by each enclosing `$id`), to a document, an embedded resource (a subschema's `$id`) or a
   * plain-name anchor; a fragment that is a JSON pointer is percent-decoded once, then `~1`/`~0`.
   */
  resolve(ref: string, from: Location): Location {
    const fail = (message: string): never => {
      throw new CodegenError(this.display(from.doc.file), from.pointer, message);
    };
    const absolute = resolveUri(ref, this.baseOf(from)) ?? fail(`$ref ${ref} is not a valid URI reference`);
    const [resource, fragment] = splitFragment(absolute);
    const target = this.resources.get(resource) ?? this.retrieve(resource, from);
    if (!target) return fail(`$ref ${ref} does not resolve to a known $id (${resource})`);
    let loc: Location | undefined;
    if (fragment === '') loc = target;
    else if (fragment.startsWith('/')) {
      let pointer: string;
      try {
        pointer = decodeURIComponent(fragment);
      } catch {
        return fail(`$ref ${ref}: the fragment is not a valid percent-encoded JSON pointer`);
      }
      loc = { doc: target.doc, pointer: `${target.pointer}${pointer}` };
    } else loc = this.resources.get(`${resource}#${fragment}`);
    if (!loc || this.get(loc) === undefined) {
      return fail(
        `$ref ${ref} points at nothing (${this.display(target.doc.file)}#${loc?.pointer ?? fragment})`,
      );
    }
    return loc;
  }

  /** A resource not loaded yet: a file (by its URL), or an absolute ref under a document's `$id` base mapped onto the file tree. */
  private retrieve(resource: string, from: Location): Location | undefined {
    if (resource.startsWith('file:')) {
      const doc = this.load(fileURLToPath(resource));
      return this.resources.get(resource) ?? { doc, pointer: '' };
    }
    // An absolute ref under the referring document's $id base: map it onto the file tree.
    const base = from.doc.uri;
    if (base.startsWith('file:') || base.startsWith('bloodbank:')) return undefined;
    const rel = relativeUrl(base, resource);
    if (rel === null) return undefined;
    const path = resolvePath(dirname(from.doc.file), decodeURIComponent(rel));
    if (!existsSync(path)) return undefined;
    const doc = this.load(path);
    return this.resources.get(resource) ?? { doc, pointer: '' };
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

  /**
   * Polymorphism as Springwolf writes it (and OpenAPI reads it): a base schema whose `oneOf`/`anyOf` lists
   * subtypes by `$ref`, each subtype `allOf: [{$ref: base}, {own properties}]`. Read literally that is an
   * ill-founded cycle (the base enters a subtype, which re-enters the base on the same value); the meaning
   * Springwolf and OpenAPI give it is that the subtype's reference names the base's own part: the base
   * without the `oneOf`/`anyOf` that lists the subtype (its properties, required, type, discriminator
   * kept). Each such reference is rewritten, in place, to a copy of that own part in a synthesized
   * document (`<input>.converted/polymorphism.schema.json`, `definitions/<base>.own`), so the types and the
   * validators read the same well-founded schema. Call once every document is loaded (after the bundle
   * for the parser); returns one warning per base. A cycle without this pattern is left as written (and
   * refused where it is ill-founded).
   */
  unfoldPolymorphism(display: string): string[] {
    const loc = (doc: SchemaDoc, pointer: string): Location => ({ doc, pointer });
    const target = (ref: string, from: Location): Location | null => {
      try {
        return this.deref(this.resolve(ref, from));
      } catch (error) {
        if (error instanceof CodegenError) return null; // reported where the reference is used
        throw error;
      }
    };
    // base location key → its own part's definition name and the combinators to leave out
    const bases = new Map<string, { base: Location; name: string; drop: Set<string> }>();
    const rewrites = new Map<JsonObject, string>(); // the allOf entry → the base location key
    const scan = (doc: SchemaDoc, node: Json, pointer: string): void => {
      if (Array.isArray(node)) {
        node.forEach((child, i) => scan(doc, child, `${pointer}/${i}`));
        return;
      }
      if (!isObject(node)) return;
      const allOf = node['allOf'];
      if (Array.isArray(allOf))
        allOf.forEach((entry, i) => {
          if (!isObject(entry) || typeof entry['$ref'] !== 'string') return;
          const base = target(entry['$ref'], loc(doc, `${pointer}/allOf/${i}`));
          const b = base ? this.get(base) : undefined;
          if (!base || !isObject(b)) return;
          const here = locationKey(loc(doc, pointer));
          const drop = ['oneOf', 'anyOf'].filter((k) => {
            const list = b[k];
            return (
              Array.isArray(list) &&
              list.some((m, j) => {
                if (!isObject(m) || typeof m['$ref'] !== 'string') return false;
                const t = target(m['$ref'], loc(base.doc, `${base.pointer}/${k}/${j}`));
                return t !== null && locationKey(t) === here;
              })
            );
          });
          if (drop.length === 0) return;
          const key = locationKey(base);
          const known = bases.get(key);
          if (known) for (const k of drop) known.drop.add(k);
          else {
            const last = base.pointer.split('/').pop() ?? '';
            const stem =
              base.pointer === '' ? basename(base.doc.file).replace(/\.[^.]*$/, '') : unescapePointer(last);
            let name = `${stem}.own`;
            for (let n = 2; [...bases.values()].some((x) => x.name === name); n++) name = `${stem}.own${n}`;
            bases.set(key, { base, name, drop: new Set(drop) });
          }
          rewrites.set(entry, key);
        });
      for (const [k, v] of Object.entries(node)) {
        if (DATA_KEYWORDS.has(k)) continue;
        const at = `${pointer}/${escapePointer(k)}`;
        if (SCHEMA_MAPS.has(k) && isObject(v))
          for (const [name, child] of Object.entries(v)) scan(doc, child, `${at}/${escapePointer(name)}`);
        else scan(doc, v, at);
      }
    };
    for (const doc of this.docs()) scan(doc, doc.json, '');
    if (bases.size === 0) return [];

    const file = resolvePath(this.root, `${display}.converted`, 'polymorphism.schema.json');
    const uri = this.localUri(file);
    const refTo = (key: string): string =>
      `${uri}#${pointerFragment(`/definitions/${escapePointer((bases.get(key) as { name: string }).name)}`)}`;
    // A copy whose `$ref`s are absolute (they read the same in the new document) and whose own subtype
    // references are rewritten too (a hierarchy of several levels); embedded `$id`s are left out.
    const copy = (node: Json, at: Location, drop: ReadonlySet<string>): Json => {
      if (Array.isArray(node))
        return node.map((n, i) => copy(n, loc(at.doc, `${at.pointer}/${i}`), new Set()));
      if (!isObject(node)) return node;
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(node)) {
        if (drop.has(k) || k === '$id') continue;
        if (k === '$ref' && typeof v === 'string') {
          const rewritten = rewrites.get(node);
          if (rewritten) out[k] = refTo(rewritten);
          else {
            const t = this.resolve(v, at);
            out[k] = `${t.doc.uri}#${pointerFragment(t.pointer)}`;
          }
        } else if (DATA_KEYWORDS.has(k)) out[k] = v;
        else if (SCHEMA_MAPS.has(k) && isObject(v))
          out[k] = Object.fromEntries(
            Object.entries(v).map(([name, s]) => [
              name,
              copy(s, loc(at.doc, `${at.pointer}/${escapePointer(k)}/${escapePointer(name)}`), new Set()),
            ]),
          );
        else out[k] = copy(v, loc(at.doc, `${at.pointer}/${escapePointer(k)}`), new Set());
      }
      return out;
    };
    const definitions: JsonObject = {};
    const warnings: string[] = [];
    for (const { base, name, drop } of bases.values()) {
      definitions[name] = copy(this.get(base) ?? {}, base, drop);
      warnings.push(
        `${this.display(base.doc.file)}#${base.pointer}: its ${[...drop].join(' and ')} lists subtypes that allOf it back (polymorphism as Springwolf writes it, a cycle if read literally): each subtype's reference is read as the base's own part, without its ${[...drop].join('/')} (${this.display(file)}#/definitions/${escapePointer(name)})`,
      );
    }
    for (const [entry, key] of rewrites) entry['$ref'] = refTo(key);
    this.addDocument(file, { definitions });
    return warnings;
  }

  /** Print a warning once per location (stderr): codegen goes on. */
  warn(file: string, pointer: string, message: string): void {
    const key = `${file}#${pointer}: ${message}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    process.stderr.write(`codegen: warning: ${this.display(file)}#${pointer}: ${message}\n`);
  }

  /**
   * A copy of the document for ajv, as draft-07 reads it: every `$ref` rewritten to the canonical
   * `uri#pointer` (so ajv never resolves a `$id` itself), the keywords beside a `$ref` that draft-07
   * ignores left out (with a warning), embedded `$id`s and draft-04 `id`s (annotations once refs are
   * canonical) left out, and the root `$id` set to the document's canonical id. A document's top-level
   * `id` (AsyncAPI 3's own field) never reaches ajv. Copies keep every property name, `__proto__` included.
   */
  forAjv(doc: SchemaDoc): Json {
    const rewrite = (node: Json, pointer: string): Json => {
      if (Array.isArray(node)) return node.map((n, i) => rewrite(n, `${pointer}/${i}`));
      if (!isObject(node)) return node;
      const out: Array<[string, Json]> = [];
      const isRef = typeof node['$ref'] === 'string';
      const ignored: string[] = [];
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') {
          const target = this.resolve(value, { doc, pointer });
          out.push([key, `${target.doc.uri}#${pointerFragment(target.pointer)}`]);
        } else if (isRef && ASSERTIONS.has(key)) ignored.push(key);
        else if (key === '$id' && pointer === '') out.push([key, doc.uri]);
        else if ((key === '$id' || key === 'id') && typeof value === 'string') continue;
        else if (DATA_KEYWORDS.has(key)) out.push([key, value]);
        else if (SCHEMA_MAPS.has(key) && isObject(value))
          out.push([
            key,
            Object.fromEntries(
              Object.entries(value).map(([name, s]) => [
                name,
                rewrite(s, `${pointer}/${escapePointer(key)}/${escapePointer(name)}`),
              ]),
            ),
          ]);
        else out.push([key, rewrite(value, `${pointer}/${escapePointer(key)}`)]);
      }
      if (ignored.length > 0)
        this.warn(
          doc.file,
          pointer,
          `${ignored.join(', ')} beside $ref ${ignore(ignored)} (draft-07 ignores every keyword beside $ref; ajv would apply ${ignored.length > 1 ? 'them' : 'it'}); move ${ignored.length > 1 ? 'them' : 'it'} into an allOf with the $ref to have ${ignored.length > 1 ? 'them' : 'it'} apply`,
        );
      return protoProperty(Object.fromEntries(out));
    };
    const json = rewrite(doc.json, '');
    return isObject(json) ? { ...json, $id: doc.uri } : json;
  }
}

/**
 * ajv skips a property named `__proto__` in `properties` (a guard against prototype pollution): the same
 * rule as a `patternProperties` entry matching exactly that name, which ajv applies (and which
 * `additionalProperties` counts as known).
 */
function protoProperty(schema: JsonObject): JsonObject {
  const props = schema['properties'];
  if (!isObject(props) || !Object.hasOwn(props, '__proto__')) return schema;
  const proto = props['__proto__'] as Json;
  const patterns = isObject(schema['patternProperties']) ? schema['patternProperties'] : {};
  const key = '^__proto__$';
  const merged = Object.hasOwn(patterns, key) ? { allOf: [patterns[key] as Json, proto] } : proto;
  return Object.fromEntries([
    ...Object.entries(schema).map(([k, v]): [string, Json] =>
      k === 'properties'
        ? [k, Object.fromEntries(Object.entries(props).filter(([name]) => name !== '__proto__'))]
        : [k, v],
    ),
    [
      'patternProperties',
      Object.fromEntries([...Object.entries(patterns).filter(([p]) => p !== key), [key, merged]]),
    ],
  ]);
}

function ignore(keys: readonly string[]): string {
  return keys.length > 1 ? 'are ignored' : 'is ignored';
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
