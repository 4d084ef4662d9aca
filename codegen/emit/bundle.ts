/** A self-contained JSON Schema per event (refs gathered under `definitions`), for registries, HTTP and MCP. */
import type { Model } from '../model.js';
import { isObject, locationKey } from '../schema-store.js';
import type { Json, JsonObject, Location } from '../schema-store.js';
import type { TypeTable } from './schema-object.js';

const DATA_KEYWORDS = new Set(['examples', 'example', 'default', 'const', 'enum']);

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
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const target = store.deref(store.resolve(v, loc));
        if (locationKey(target) === rootKey) {
          out[k] = '#';
          continue;
        }
        const name = nameOf(target);
        if (!(name in definitions)) {
          definitions[name] = {};
          const t = store.get(target);
          definitions[name] = isObject(t)
            ? stripMeta(copy(t, target, `/definitions/${escape(name)}`) as JsonObject)
            : (t as Json);
        }
        out[k] = `#/definitions/${name}`;
      } else if (DATA_KEYWORDS.has(k)) out[k] = v;
      else if (k === 'definitions' || k === '$defs') continue;
      else out[k] = copy(v, { doc: loc.doc, pointer: `${loc.pointer}/${escape(k)}` }, `${at}/${escape(k)}`);
    }
    return out;
  };

  const node = store.get(root);
  const body = isObject(node) ? (copy(node, root, '') as JsonObject) : {};
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
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function escape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
