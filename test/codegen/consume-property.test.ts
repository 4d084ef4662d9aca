/**
 * Property (DESIGN.md §5): whatever the publish validator accepts, once serialized to JSON and parsed
 * again, the consume validator accepts and leaves deep-equal. For every event of the shipped catalogue
 * and of the codegen fixtures: payloads generated from the event's schema (json-schema-faker), the
 * event's examples, and fast-check mutations of them (fields deleted, replaced by any JSON value,
 * unknown fields added, subtrees swapped with another payload's, which switches union branches).
 */
import fc from 'fast-check';
import { generateSync } from 'json-schema-faker';
import { describe, expect, it } from 'vitest';
import type { EventDefinition, Registry } from '../../runtime/registry.js';
import { registry as catalogue } from '../../generated/index.js';
import { registry as mini } from '../fixtures/codegen/mini/generated/index.js';
import { registry as named } from '../fixtures/codegen/named-types/generated/index.js';
import { registry as board } from '../fixtures/codegen/nested-unions/generated/index.js';
import { registry as billing } from '../fixtures/codegen/rpc-service/generated/index.js';
import { registry as streetlights } from '../fixtures/codegen/streetlights/generated/index.js';

const REGISTRIES = {
  catalogue,
  mini,
  'named-types': named,
  'nested-unions': board,
  'rpc-service': billing,
  streetlights,
} as Record<string, unknown> as Record<string, Registry>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function sample(schema: unknown, seed: number): Json {
  return generateSync(schema as never, { seed, maxItems: 3, maxLength: 48 }) as Json;
}

/** Every object and array in `value`, with its path. */
function containers(value: Json, path: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [];
  const entries: Array<[string | number, Json]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return [path, ...entries.flatMap(([k, v]) => containers(v, [...path, k]))];
}

function at(value: Json, path: ReadonlyArray<string | number>): Json | undefined {
  let node: Json | undefined = value;
  for (const k of path)
    node =
      node !== null && typeof node === 'object' && Object.prototype.hasOwnProperty.call(node, k)
        ? (node as Record<string, Json>)[k]
        : undefined;
  return node;
}

interface Mutation {
  readonly kind: 'delete' | 'set' | 'add' | 'swap';
  readonly where: number;
  readonly which: number;
  readonly value: Json;
  readonly name: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'set', 'add', 'swap'),
  where: fc.nat(),
  which: fc.nat(),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  name: fc.constantFrom('extra', 'note', 'constructor', 'toString', 'kind', 'type', 'v2_field'),
});

function mutate(value: Json, other: Json, m: Mutation): Json {
  const copy = structuredClone(value);
  const places = containers(copy);
  if (places.length === 0) return m.kind === 'set' ? m.value : copy;
  const path = places[m.where % places.length] ?? [];
  const node = at(copy, path) as Record<string, Json> | Json[];
  const keys = Array.isArray(node) ? node.map((_v, i) => i) : Object.keys(node);
  const key = keys.length ? keys[m.which % keys.length] : undefined;
  if (m.kind === 'add') {
    if (Array.isArray(node)) node.push(m.value);
    else
      Object.defineProperty(node, m.name, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  } else if (key === undefined) return copy;
  else if (m.kind === 'delete') {
    if (Array.isArray(node)) node.splice(key as number, 1);
    else delete node[key as string];
  } else {
    const replacement = m.kind === 'set' ? m.value : at(other, [...path, key]);
    if (replacement === undefined) return copy;
    (node as Record<string | number, Json>)[key] = structuredClone(replacement);
  }
  return copy;
}

const cases = Object.entries(REGISTRIES).flatMap(([name, registry]) =>
  registry.list().map((d) => [`${name}: ${d.key}`, d] as const),
);

/** Samples per event: json-schema-faker takes up to a second a payload on the larger schemas. */
const POOL = 4;

describe('consume accepts unchanged what publish accepts', () => {
  it.each(cases)(
    '%s',
    (_name, def: EventDefinition) => {
      // The event's own examples join the generated payloads: json-schema-faker gives up on deep recursive
      // unions (it writes null where the recursion stops), which publish then refuses.
      const pool = [
        ...Array.from({ length: POOL }, (_v, seed) => sample(def.schema, seed + 1)),
        ...(def.examples as Json[]),
      ];
      let accepted = 0;
      fc.assert(
        fc.property(
          fc.nat(pool.length - 1),
          fc.nat(pool.length - 1),
          fc.array(mutation, { maxLength: 3 }),
          (i, j, mutations) => {
            const base = pool[i] as Json;
            const other = pool[j] as Json;
            const payload = mutations.reduce((v, m) => mutate(v, other, m), structuredClone(base));
            const pub = def.validatePublish(payload);
            if (!pub.ok) return;
            accepted++;
            const wire = JSON.parse(JSON.stringify(pub.value)) as Json;
            const con = def.validateConsume(structuredClone(wire));
            expect(con.ok ? [] : con.issues).toEqual([]);
            expect(con.ok && con.value).toEqual(wire);
          },
        ),
        { numRuns: 100, seed: 12 },
      );
      // The property is not vacuous: a good share of the generated payloads are valid.
      expect(accepted).toBeGreaterThanOrEqual(10);
    },
    60_000,
  );
});
