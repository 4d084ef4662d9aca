/** A self-contained JSON Schema per event (refs gathered under `definitions`), for registries, HTTP and MCP. */
import type { Model } from '../model.js';
import { isObject, locationKey, pointerFragment } from '../schema-store.js';
import type { Json, JsonObject, Location } from '../schema-store.js';
import type { TypeTable } from './schema-object.js';

const DATA_KEYWORDS = new Set(['examples', 'example', 'default', 'const', 'enum']);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'dependencies']);
/** What may stay beside a `$ref` (draft-07 ignores every other keyword there). */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'default',
  'examples',
  'example',
  '$comment',
  'readOnly',
  'writeOnly',
  'deprecated',
]);

/**
 * `locations`, when given, receives the store location of every object node by its JSON pointer in the
 * result (the consume validator's matchers are compiled from those locations and looked up by pointer).
 */
export function bundleSchema(
  model: Model,
  types: TypeTable,
  root: Location,
  locations?: Map<string, Location>,
): JsonObject {
  const { store } = model;
  const definitions: JsonObject = {};
  const names = new Map<string, string>();
  const rootKey = locationKey(root);

  const nameOf = (loc: Location): string => {
    const key = locationKey(loc);
    const known = names.get(key);
    if (known) return known;
    const named = types.byKey.get(key);
    let name =
      named?.name ??
      (loc.pointer.split('/').pop() || store.display(loc.doc.file).replace(/[^A-Za-z0-9]+/g, '_'));
    while (Object.values(Object.fromEntries(names)).includes(name)) name = `${name}_`;
    names.set(key, name);
    return name;
  };

  const copy = (node: Json, loc: Location, at: string): Json => {
    if (Array.isArray(node))
      return node.map((n, i) => copy(n, { doc: loc.doc, pointer: `${loc.pointer}/${i}` }, `${at}/${i}`));
    if (!isObject(node)) return node;
    locations?.set(at, loc);
    // Built from entries, never by assignment: `out['__proto__'] = v` would set the prototype, not the key.
    const out: Array<[string, Json]> = [];
    const isRef = typeof node['$ref'] === 'string';
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const target = store.deref(store.resolve(v, loc));
        if (locationKey(target) === rootKey) {
          out.push([k, '#']);
          continue;
        }
        const name = nameOf(target);
        if (!Object.hasOwn(definitions, name)) {
          definitions[name] = {};
          const t = store.get(target);
          definitions[name] = isObject(t)
            ? stripMeta(copy(t, target, `/definitions/${escape(name)}`) as JsonObject)
            : (t as Json);
        }
        out.push([k, `#/definitions/${pointerFragment(escape(name))}`]);
      } else if (isRef && !ANNOTATIONS.has(k)) continue;
      else if (DATA_KEYWORDS.has(k)) out.push([k, v]);
      else if (k === 'definitions' || k === '$defs') continue;
      else if ((k === '$id' || k === 'id') && typeof v === 'string') continue;
      else if (SCHEMA_MAPS.has(k) && isObject(v))
        out.push([
          k,
          Object.fromEntries(
            Object.entries(v).map(([name, s]) => [
              name,
              copy(
                s,
                { doc: loc.doc, pointer: `${loc.pointer}/${escape(k)}/${escape(name)}` },
                `${at}/${escape(k)}/${escape(name)}`,
              ),
            ]),
          ),
        ]);
      else
        out.push([
          k,
          copy(v, { doc: loc.doc, pointer: `${loc.pointer}/${escape(k)}` }, `${at}/${escape(k)}`),
        ]);
    }
    return Object.fromEntries(out);
  };

  const node = store.get(root);
  // A boolean schema as an object: `true` accepts everything, `false` nothing.
  const body = isObject(node) ? (copy(node, root, '') as JsonObject) : node === false ? { not: {} } : {};
  const result: JsonObject = { $schema: 'http://json-schema.org/draft-07/schema#', ...stripMeta(body) };
  if (isObject(node) && typeof node['$id'] === 'string') result['$id'] = node['$id'];
  if (Object.keys(definitions).length > 0) {
    result['definitions'] = Object.fromEntries(
      Object.keys(definitions)
        .sort()
        .map((k) => [k, definitions[k] as Json]),
    );
  }
  return result;
}

function stripMeta(schema: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema' && k !== '$id'));
}

/**
 * JSON as a JavaScript literal: pretty-printed JSON, except that a `__proto__` key is written as a
 * computed key (`["__proto__"]: …`), which a JavaScript object literal keeps as a property.
 */
export function jsonLiteral(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/^(\s*)"__proto__":/gm, '$1["__proto__"]:');
}

function escape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
