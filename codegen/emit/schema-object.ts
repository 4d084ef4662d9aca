/**
 * JSON Schema → TypeTable and TypeScript type text. Every schema the document names — a
 * `components/schemas` entry (its key), a `definitions` / `$defs` entry (its key), a separate schema file
 * (its title, else its file name) or another titled `$ref` target (its title) — is one named type, declared
 * once and referenced by name; anonymous schemas are rendered inline. Faithful where it matters: enums as
 * literal unions, nullable as `| null`, oneOf + const discriminator as a discriminated union, closed
 * objects without index signatures.
 */
import { basename } from 'node:path';
import { CodegenError } from 'bloodbank/errors/codegen-error.js';
import { NameTable, typeName } from '../names.js';
import type { NameSource } from '../names.js';
import type { Model } from '../model.js';
import { escapePointer, isObject, locationKey } from '../schema-store.js';
import type { Json, JsonObject, Location, SchemaStore } from '../schema-store.js';

export type Mode = 'output' | 'input';

export interface NamedType {
  readonly key: string;
  readonly loc: Location;
  readonly name: string;
  /** Name of the input variant (`XInput`); equal to `name` when the type has no defaults anywhere. */
  readonly inputName: string;
  /** Module under generated/types/ (without extension). */
  readonly module: string;
  /** Where it comes from, for the provenance comment. */
  readonly provenance: string;
  /** The event payload this type is the root of, if any. */
  readonly eventKey: string | null;
  /**
   * Set when this name only aliases another named type: a channel whose payload is a named schema
   * (`BillingInvoiceCreatePayload` = `CreateInvoice`), or a second channel sharing one payload schema.
   */
  readonly aliasOf: NamedType | null;
}

export interface PropertyDoc {
  readonly description: string | null;
  readonly tags: ReadonlyArray<{ readonly tagName: string; readonly text: string }>;
}

const BOUND_KEYWORDS = [
  'format',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
] as const;

/** A name the document gives a schema, and where the schema is. */
interface SchemaName {
  readonly name: string;
  readonly source: NameSource;
}

/** Collects the named types of a model and renders schemas as TypeScript. */
export class TypeTable {
  readonly byKey = new Map<string, NamedType>();
  private readonly names = new NameTable();
  private readonly needsInputMemo = new Map<string, boolean>();

  constructor(
    readonly store: SchemaStore,
    private readonly model: Model,
  ) {
    for (const event of model.events) {
      const loc = store.deref(event.payload);
      const key = locationKey(loc);
      const channel: NameSource = {
        file: model.input,
        pointer: `/channels/${escapePointer(event.channelId)}`,
      };
      // A payload that is a component or definition keeps its own name; the channel's name aliases it.
      // A payload file (or an inline payload) is named after its channel, as the catalogue's events are.
      const own = this.schemaName(loc, false);
      let declared = this.byKey.get(key);
      if (!declared && own && own.name !== event.names.payload) declared = this.declare(loc, own);
      this.names.claim(event.names.payload, channel);
      this.names.claim(event.names.input, channel);
      // client.ts exports a handler type per command beside the types (generated/index.ts re-exports both).
      if (event.kind === 'command') this.names.claim(event.names.handler, channel);
      const provenance = `From channel ${event.key} (${this.display(loc)})`;
      if (declared) {
        const alias: NamedType = {
          key: `${key}@${event.key}`,
          loc,
          name: event.names.payload,
          inputName: event.names.input,
          module: moduleName(event.domain),
          provenance,
          eventKey: event.key,
          aliasOf: declared,
        };
        this.byKey.set(alias.key, alias);
        continue;
      }
      this.byKey.set(key, {
        key,
        loc,
        name: event.names.payload,
        inputName: this.needsInput(loc) ? event.names.input : event.names.payload,
        module: moduleName(event.domain),
        provenance,
        eventKey: event.key,
        aliasOf: null,
      });
    }
    for (const event of model.events) this.discover(store.deref(event.payload), new Set());
    if (model.envelope) this.discover(model.envelope, new Set());
    this.checkRecursion();
  }

  display(loc: Location): string {
    return `${this.store.display(loc.doc.file)}${loc.pointer ? `#${loc.pointer}` : ''}`;
  }

  /** The payload type of an event (by routing key). */
  eventType(eventKey: string): NamedType {
    for (const t of this.byKey.values()) if (t.eventKey === eventKey) return t;
    throw new Error(`no payload type for ${eventKey}`);
  }

  list(): NamedType[] {
    return [...this.byKey.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Walk a schema and give every `$ref` target the document names a type of its own. */
  private discover(loc: Location, seen: Set<string>): void {
    const key = locationKey(loc);
    if (seen.has(key)) return;
    seen.add(key);
    const node = this.store.get(loc);
    const visit = (child: Json, childLoc: Location) => {
      if (isObject(child) && typeof child['$ref'] === 'string') {
        const target = this.store.resolve(child['$ref'], childLoc);
        if (!this.byKey.has(locationKey(target))) {
          const own = this.schemaName(target, true);
          if (own) this.declare(target, own);
        }
        this.discover(target, seen);
      }
    };
    if (node !== undefined) visit(node, loc);
    walkSubschemas(node, loc, visit);
  }

  /**
   * The name the document gives the schema at `loc`, or null when it is anonymous: the key of a
   * `components/schemas` or `definitions` / `$defs` entry; with `refTarget`, also a schema file's title
   * (else its file name) and any other titled schema.
   */
  private schemaName(loc: Location, refTarget: boolean): SchemaName | null {
    const source: NameSource = { file: this.store.display(loc.doc.file), pointer: loc.pointer };
    const tokens = loc.pointer === '' ? [] : loc.pointer.slice(1).split('/').map(unescapePointer);
    if (tokens.length === 3 && tokens[0] === 'components' && tokens[1] === 'schemas')
      return { name: typeName(tokens[2] as string), source };
    const defKey = definitionKey(tokens);
    if (defKey !== null) return { name: typeName(defKey), source };
    if (!refTarget) return null;
    const node = this.store.get(loc);
    const title = isObject(node) && typeof node['title'] === 'string' ? node['title'].trim() : '';
    if (loc.pointer === '' && source.file !== this.model.input)
      return { name: typeName(title || basename(loc.doc.file).replace(/\.(json|ya?ml)$/i, '')), source };
    return title ? { name: typeName(title), source } : null;
  }

  /** Declare the named schema at `loc`: claims its name (and `XInput`, `XValues` when emitted). */
  private declare(loc: Location, own: SchemaName): NamedType {
    const name = this.names.claim(own.name, own.source);
    const inputName = this.needsInput(loc) ? this.names.claim(`${name}Input`, own.source) : name;
    const schema = this.store.get(loc);
    if (isObject(schema) && isStringEnum(schema)) this.names.claim(`${name}Values`, own.source);
    const named: NamedType = {
      key: locationKey(loc),
      loc,
      name,
      inputName,
      module: this.moduleOf(loc),
      provenance: `From ${this.display(loc)}`,
      eventKey: null,
      aliasOf: null,
    };
    this.byKey.set(named.key, named);
    return named;
  }

  /** True when the named type is declared as an interface (a plain object schema), not a type alias. */
  isInterface(t: NamedType): boolean {
    if (t.aliasOf) return false;
    const s = this.store.get(t.loc);
    return (
      isObject(s) &&
      // Without `type: object` the instance may be any JSON value: a type alias (a union) then.
      s['type'] === 'object' &&
      s['nullable'] !== true &&
      s['$ref'] === undefined &&
      !s['allOf'] &&
      !s['anyOf'] &&
      !s['oneOf'] &&
      s['enum'] === undefined &&
      s['const'] === undefined
    );
  }

  /**
   * A type alias may refer to itself only through an object or an array (`type Tree = { children: Tree[] }`);
   * `type A = A | null`, or `A = B; B = A`, is no type at all, so codegen stops on it.
   */
  private checkRecursion(): void {
    const state = new Map<NamedType, 'open' | 'done'>();
    const visit = (t: NamedType, path: NamedType[]): void => {
      const s = state.get(t);
      if (s === 'done') return;
      if (s === 'open') {
        const cycle = [...path.slice(path.indexOf(t)), t];
        throw new CodegenError(
          this.store.display(t.loc.doc.file),
          t.loc.pointer,
          `${t.name} refers to itself with no object or array in between (${cycle.map((c) => c.name).join(' → ')}): TypeScript cannot declare it`,
        );
      }
      state.set(t, 'open');
      for (const next of this.unguardedRefs(t)) visit(next, [...path, t]);
      state.set(t, 'done');
    };
    for (const t of this.byKey.values()) visit(t, []);
  }

  /** The named types a declaration refers to outside any object or array (its union, intersection or alias members). */
  private unguardedRefs(t: NamedType): NamedType[] {
    if (t.aliasOf) return [t.aliasOf];
    if (this.isInterface(t)) return [];
    const out: NamedType[] = [];
    const seen = new Set<string>();
    const walk = (node: Json | undefined, loc: Location): void => {
      if (!isObject(node)) return;
      if (typeof node['$ref'] === 'string') {
        const target = this.store.resolve(node['$ref'], loc);
        const key = locationKey(target);
        const named = this.byKey.get(key);
        if (named) out.push(named);
        else if (!seen.has(key)) {
          seen.add(key);
          walk(this.store.get(target), target);
        }
        return;
      }
      for (const comb of ['oneOf', 'anyOf', 'allOf'] as const) {
        const list = node[comb];
        if (Array.isArray(list))
          list.forEach((b, i) => walk(b, { doc: loc.doc, pointer: `${loc.pointer}/${comb}/${i}` }));
      }
    };
    walk(this.store.get(t.loc), t.loc);
    return out;
  }

  private moduleOf(loc: Location): string {
    const rel = this.store.display(loc.doc.file).split(/[\\/]/);
    if (rel[0] === 'schemas' && rel.length > 2) return moduleName(rel[1] as string);
    if (rel.length === 1 && /\.ya?ml$/.test(rel[0] as string)) return 'components';
    return 'shared';
  }

  /** True when the schema (following refs) has a default anywhere, so its input type differs. */
  needsInput(loc: Location, stack = new Set<string>()): boolean {
    const key = locationKey(loc);
    const memo = this.needsInputMemo.get(key);
    if (memo !== undefined) return memo;
    if (stack.has(key)) return false;
    stack.add(key);
    let result = false;
    const node = this.store.get(loc);
    walkSubschemas(node, loc, (child, childLoc) => {
      if (result) return;
      // Only a property's own default makes it optional on publish (ajv applies defaults there, not through $ref).
      if (isObject(child) && hasDefault(child) && /\/properties\/[^/]+$/.test(childLoc.pointer))
        result = true;
      else if (isObject(child) && typeof child['$ref'] === 'string') {
        if (this.needsInput(this.store.resolve(child['$ref'], childLoc), stack)) result = true;
      }
    });
    stack.delete(key);
    this.needsInputMemo.set(key, result);
    return result;
  }

  /** Render the schema at `loc` as a type expression; `used` collects the named types referenced. */
  render(loc: Location, mode: Mode, used: Set<NamedType>, self?: NamedType): string {
    return this.renderNode(this.store.get(loc), loc, mode, used, self);
  }

  private renderNode(
    node: Json | undefined,
    loc: Location,
    mode: Mode,
    used: Set<NamedType>,
    self?: NamedType,
    depth = 0,
    context: ReadonlySet<string> | null = null,
  ): string {
    if (depth > 64)
      throw new CodegenError(
        this.store.display(loc.doc.file),
        loc.pointer,
        'schema nests too deeply (a recursive $ref to an anonymous schema? move it under definitions or give it a title)',
      );
    if (node === true || node === undefined) return 'unknown';
    if (node === false) return 'never';
    if (!isObject(node))
      throw new CodegenError(
        this.store.display(loc.doc.file),
        loc.pointer,
        'a schema must be an object or a boolean',
      );
    const at = (suffix: string): Location => ({ doc: loc.doc, pointer: `${loc.pointer}${suffix}` });
    // What the instance can be here, as far as this schema's `type` (and the enclosing one's) says: the
    // branches of a combinator are read within it.
    const declared = declaredTypes(node);
    const inner = declared === null ? context : context === null ? declared : intersect(declared, context);
    const sub = (child: Json | undefined, suffix: string): string =>
      this.renderNode(child, at(suffix), mode, used, self, depth + 1, inner);

    if (typeof node['$ref'] === 'string') {
      // draft-07: every keyword beside `$ref` is ignored.
      const target = this.store.resolve(node['$ref'], loc);
      const named = this.byKey.get(locationKey(target));
      if (named) {
        if (named !== self) used.add(named);
        return mode === 'input' ? named.inputName : named.name;
      }
      return this.renderNode(this.store.get(target), target, mode, used, self, depth + 1);
    }
    if (node['const'] !== undefined) return literal(node['const']);
    if (Array.isArray(node['enum'])) return union(node['enum'].map(literal));

    const parts: string[] = [];
    for (const comb of ['oneOf', 'anyOf'] as const) {
      const list = node[comb];
      if (Array.isArray(list)) parts.push(union(list.map((b, i) => sub(b, `/${comb}/${i}`))));
    }
    if (Array.isArray(node['allOf'])) {
      const items = node['allOf'].map((b, i) => sub(b, `/allOf/${i}`)).filter((t) => t !== 'unknown');
      if (items.length > 0) parts.push(items.map(paren).join(' & '));
    }
    const own = this.renderOwn(node, loc, mode, used, self, depth, context);
    if (own !== null) parts.push(own);
    if (parts.length === 0) return 'unknown';
    return parts.length === 1 ? (parts[0] as string) : parts.map(paren).join(' & ');
  }

  /**
   * The schema's own type (without combinators), or null when it says nothing about it. Without `type`,
   * the instance may be of any type the context allows: `properties` shape objects but do not make the
   * instance an object (draft-07 §6: a keyword constrains only the type it applies to).
   */
  private renderOwn(
    node: JsonObject,
    loc: Location,
    mode: Mode,
    used: Set<NamedType>,
    self: NamedType | undefined,
    depth: number,
    context: ReadonlySet<string> | null,
  ): string | null {
    const declared = declaredTypes(node);
    let types: string[];
    if (declared !== null) types = [...(context === null ? declared : intersect(declared, context))];
    else if (!hasObjectShape(node) && !hasArrayShape(node)) return null;
    else types = [...(context ?? ALL_TYPES)];
    if (node['nullable'] === true && !types.includes('null') && (context === null || context.has('null')))
      types.push('null');
    const rendered = new Set<string>();
    return union(
      types.flatMap((t) => {
        const r = ((): string => {
          switch (t) {
            case 'string':
              return 'string';
            case 'number':
            case 'integer':
              return 'number';
            case 'boolean':
              return 'boolean';
            case 'null':
              return 'null';
            case 'array':
              return this.renderArray(node, loc, mode, used, self, depth);
            case 'object':
              return this.renderObject(node, loc, mode, used, self, depth);
            default:
              throw new CodegenError(
                this.store.display(loc.doc.file),
                `${loc.pointer}/type`,
                `unknown type ${JSON.stringify(t)}`,
              );
          }
        })();
        if (rendered.has(r)) return [];
        rendered.add(r);
        return [r];
      }),
    );
  }

  /**
   * An array schema: `items` as one schema gives `T[]`; as a list (a tuple) each element is optional
   * unless `minItems` requires it, and more elements follow (typed by `additionalItems`) unless
   * `additionalItems: false`.
   */
  private renderArray(
    node: JsonObject,
    loc: Location,
    mode: Mode,
    used: Set<NamedType>,
    self: NamedType | undefined,
    depth: number,
  ): string {
    const items = node['items'];
    const at = (suffix: string): Location => ({ doc: loc.doc, pointer: `${loc.pointer}${suffix}` });
    if (Array.isArray(items)) {
      const min = typeof node['minItems'] === 'number' ? node['minItems'] : 0;
      const elements = items.map((it, i) => {
        const t = this.renderNode(it, at(`/items/${i}`), mode, used, self, depth + 1);
        return i < min ? t : `${elementParen(t)}?`;
      });
      const more = node['additionalItems'];
      const rest =
        more === false
          ? 'never'
          : this.renderNode(
              more === undefined ? true : more,
              at('/additionalItems'),
              mode,
              used,
              self,
              depth + 1,
            );
      if (rest !== 'never') elements.push(`...${elementParen(rest)}[]`);
      return `[${elements.join(', ')}]`;
    }
    const inner = this.renderNode(items, at('/items'), mode, used, self, depth + 1);
    return `${/[|&\s]/.test(inner) && !/^[{[]/.test(inner) ? `(${inner})` : inner}[]`;
  }

  /**
   * The members of an object schema (an index signature last, flagged `index`), for an interface body.
   * The index signature covers the properties `additionalProperties` and `patternProperties` allow;
   * none when the object is closed.
   */
  objectMembers(
    node: JsonObject,
    loc: Location,
    mode: Mode,
    used: Set<NamedType>,
    self: NamedType | undefined,
    depth: number,
  ): ObjectMember[] {
    const props = isObject(node['properties']) ? node['properties'] : {};
    const required = new Set(
      Array.isArray(node['required'])
        ? node['required'].filter((r): r is string => typeof r === 'string')
        : [],
    );
    const members: ObjectMember[] = [];
    for (const name of Object.keys(props)) {
      const propSchema = props[name];
      const propLoc = { doc: loc.doc, pointer: `${loc.pointer}/properties/${escapePointer(name)}` };
      const withDefault = isObject(propSchema) && hasDefault(propSchema);
      const optional =
        mode === 'input' ? !required.has(name) || withDefault : !required.has(name) && !withDefault;
      const type = this.renderNode(propSchema, propLoc, mode, used, self, depth + 1);
      members.push({
        name,
        optional,
        // TypeScript sees the members of Object (`toString`, `constructor`, …) on every object, so a
        // value without that optional property must still fit: its type admits the inherited member.
        type:
          optional && OBJECT_MEMBERS.has(name) && type !== 'unknown'
            ? `${paren(type)} | Object[${quote(name)}]`
            : type,
        doc: propertyDoc(this.store, propSchema, propLoc),
      });
    }
    const sources: string[] = [];
    const additional = node['additionalProperties'];
    if (additional === undefined || additional === true) sources.push('unknown');
    else if (additional !== false)
      sources.push(
        this.renderNode(
          additional,
          { doc: loc.doc, pointer: `${loc.pointer}/additionalProperties` },
          mode,
          used,
          self,
          depth + 1,
        ),
      );
    const patterns = node['patternProperties'];
    if (isObject(patterns))
      for (const [pattern, schema] of Object.entries(patterns))
        sources.push(
          this.renderNode(
            schema,
            { doc: loc.doc, pointer: `${loc.pointer}/patternProperties/${escapePointer(pattern)}` },
            mode,
            used,
            self,
            depth + 1,
          ),
        );
    // A named property must fit the index signature too: with both, the index says `unknown`.
    const index =
      sources.length === 0
        ? null
        : members.length > 0
          ? 'unknown'
          : union(sources.filter((t) => t !== 'never'));
    return index === null || index === 'never'
      ? members
      : [...members, { name: '', optional: false, type: index, doc: null, index: true }];
  }

  /** An object schema as a type literal (no index signature when the schema is closed). */
  private renderObject(
    node: JsonObject,
    loc: Location,
    mode: Mode,
    used: Set<NamedType>,
    self: NamedType | undefined,
    depth: number,
  ): string {
    const all = this.objectMembers(node, loc, mode, used, self, depth);
    const members = all.filter((m) => !m.index);
    const index = all.find((m) => m.index)?.type ?? null;
    if (members.length === 0) return index === null ? 'Record<string, never>' : `{ [key: string]: ${index} }`;
    const body = members.map((m) => `${propertyName(m.name)}${m.optional ? '?' : ''}: ${m.type}`);
    if (index !== null) body.push(`[key: string]: ${index}`);
    return `{ ${body.join('; ')} }`;
  }
}

export interface ObjectMember {
  readonly name: string;
  readonly optional: boolean;
  readonly type: string;
  readonly doc: PropertyDoc | null;
  readonly index?: boolean;
}

export function moduleName(segment: string): string {
  const m = segment
    .replace(/^_+/, '')
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .toLowerCase();
  return m || 'shared';
}

export function propertyName(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : quote(name);
}

/**
 * A TypeScript string literal in single quotes: backslash, quote, control characters, line and paragraph
 * separators and lone surrogates escaped, so any property name or `const` value round-trips.
 */
export function quote(text: string): string {
  return `'${text.replace(/[\\'\u0000-\u001f\u007f\u2028\u2029]|[\ud800-\udfff]/gu, (c) =>
    c === '\\' ? '\\\\' : c === "'" ? "\\'" : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )}'`;
}

export function propertyDoc(store: SchemaStore, schema: Json | undefined, loc: Location): PropertyDoc | null {
  if (!isObject(schema)) return null;
  let s = schema;
  if (typeof s['$ref'] === 'string' && typeof s['description'] !== 'string') {
    const target = store.get(store.deref(store.resolve(s['$ref'], loc)));
    if (isObject(target)) s = { ...target, ...s };
  }
  const description = typeof s['description'] === 'string' ? s['description'].trim() : null;
  const tags: Array<{ tagName: string; text: string }> = [];
  for (const k of BOUND_KEYWORDS)
    if (s[k] !== undefined) tags.push({ tagName: k, text: JSON.stringify(s[k]) });
  if (schema['default'] !== undefined)
    tags.push({ tagName: 'default', text: JSON.stringify(schema['default']) });
  if (schema['x-bloodbank-default'] === 'now')
    tags.push({ tagName: 'default', text: 'now (filled by the publisher)' });
  if (!description && tags.length === 0) return null;
  return { description, tags };
}

export function literal(value: Json): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return 'unknown';
}

function union(parts: string[]): string {
  const unique = [...new Set(parts)];
  if (unique.includes('unknown')) return 'unknown';
  const filtered = unique.filter((p) => p !== 'never');
  if (filtered.length === 0) return 'never';
  return filtered.length === 1
    ? (filtered[0] as string)
    : filtered.map((p) => (/=>/.test(p) ? `(${p})` : p)).join(' | ');
}

/** A tuple element or rest element type, parenthesized where `?` or `[]` would bind to its last part. */
function elementParen(t: string): string {
  return /[|&]|=>/.test(t) && !/^[{[(]/.test(t) ? `(${t})` : t;
}

/** The members TypeScript's `Object` interface declares (lib.es5.d.ts). */
const OBJECT_MEMBERS: ReadonlySet<string> = new Set([
  'constructor',
  'toString',
  'toLocaleString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
]);

const ALL_TYPES: ReadonlySet<string> = new Set(['object', 'array', 'string', 'number', 'boolean', 'null']);

/** The types `type` allows (`integer` read as `number`), or null when the schema has no `type`. */
function declaredTypes(node: JsonObject): ReadonlySet<string> | null {
  const t = node['type'];
  const list =
    typeof t === 'string'
      ? [t]
      : Array.isArray(t)
        ? t.filter((x): x is string => typeof x === 'string')
        : null;
  if (list === null) return null;
  return new Set(list.map((x) => (x === 'integer' ? 'number' : x)));
}

function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  return new Set([...a].filter((x) => b.has(x)));
}

/** Keywords that shape an object's type (others only bound it). */
function hasObjectShape(node: JsonObject): boolean {
  return (
    isObject(node['properties']) ||
    isObject(node['patternProperties']) ||
    node['additionalProperties'] !== undefined ||
    Array.isArray(node['required'])
  );
}

function hasArrayShape(node: JsonObject): boolean {
  return node['items'] !== undefined || node['additionalItems'] !== undefined;
}

function paren(t: string): string {
  return /\s\|\s/.test(t) && !/^[{(]/.test(t) ? `(${t})` : t;
}

const SUBSCHEMA_OBJECTS = [
  'properties',
  'patternProperties',
  'definitions',
  '$defs',
  'dependencies',
] as const;
const SUBSCHEMA_SINGLE = [
  'additionalProperties',
  'items',
  'additionalItems',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
] as const;
const SUBSCHEMA_ARRAYS = ['allOf', 'anyOf', 'oneOf', 'items'] as const;

/** Call `visit` for every direct and nested subschema (not into `$ref` targets). */
export function walkSubschemas(
  node: Json | undefined,
  loc: Location,
  visit: (child: Json, loc: Location) => void,
): void {
  if (!isObject(node)) return;
  const go = (child: Json | undefined, pointer: string) => {
    if (child === undefined) return;
    const childLoc = { doc: loc.doc, pointer };
    visit(child, childLoc);
    walkSubschemas(child, childLoc, visit);
  };
  for (const k of SUBSCHEMA_OBJECTS) {
    const m = node[k];
    if (isObject(m))
      for (const [name, child] of Object.entries(m)) go(child, `${loc.pointer}/${k}/${escapePointer(name)}`);
  }
  for (const k of SUBSCHEMA_SINGLE) {
    const c = node[k];
    if (isObject(c) || typeof c === 'boolean') go(c, `${loc.pointer}/${k}`);
  }
  for (const k of SUBSCHEMA_ARRAYS) {
    const arr = node[k];
    if (Array.isArray(arr)) arr.forEach((child, i) => go(child, `${loc.pointer}/${k}/${i}`));
  }
}

/** `enum` of strings only: emitted with an `XValues` array beside the type. */
export function isStringEnum(schema: JsonObject): boolean {
  return Array.isArray(schema['enum']) && schema['enum'].every((v) => typeof v === 'string');
}

/** The key of a `definitions` / `$defs` entry when the pointer tokens end at one (keyword positions only). */
function definitionKey(tokens: readonly string[]): string | null {
  let i = 0;
  while (i < tokens.length) {
    const keyword = tokens[i] as string;
    const named = (SUBSCHEMA_OBJECTS as readonly string[]).includes(keyword);
    const indexed =
      (SUBSCHEMA_ARRAYS as readonly string[]).includes(keyword) && /^\d+$/.test(tokens[i + 1] ?? '');
    if (named || indexed) {
      if (i + 2 === tokens.length && named && (keyword === 'definitions' || keyword === '$defs'))
        return tokens[i + 1] as string;
      i += 2;
    } else i += 1;
  }
  return null;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** A property the publisher may leave out: it has a `default`, or `x-bloodbank-default: now` (a timestamp filled at publish). */
export function hasDefault(schema: JsonObject): boolean {
  return schema['default'] !== undefined || schema['x-bloodbank-default'] === 'now';
}
