/**
 * Property (DESIGN.md §5): whatever the publish validator accepts, once serialized to JSON and parsed
 * again, the consume validator accepts and leaves deep-equal. For every event of the shipped catalogue
 * and of the codegen fixtures: payloads generated from the event's schema (json-schema-faker), the
 * event's examples, and fast-check mutations of them (fields deleted, replaced by any JSON value,
 * unknown fields added, subtrees swapped with another payload's, which switches union branches).
 *
 * Issues 17 and 19: for every fixture written for them (documents we did not write: 2.x and 3.x, foreign
 * addresses, parameters, several messages per channel, headers, queues, MQTT), json-schema-faker samples
 * of every message also travel through the real broker: publish validation, publishing with the address
 * parameters filled and the message's headers set, the consumer's validation, and the handler receives
 * the payload unchanged, told apart from the channel's other messages, with its parameters and headers.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import amqp from 'amqplib';
import fc from 'fast-check';
import { generateSync } from 'json-schema-faker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, type BloodbankConnection } from '../../runtime/amqp/connection.js';
import { createSubscriber } from '../../runtime/amqp/consumer.js';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { queueNamesOf } from '../../runtime/delivery/rules.js';
import type { MessageContext, PublishOptions, Subscription } from '../../runtime/bus.js';
import type { Envelope } from '../../runtime/envelope.js';
import type { EventDefinition, Registry } from '../../runtime/registry.js';
import { registry as catalogue } from '../../generated/index.js';
import { registry as mini } from '../fixtures/codegen/mini/generated/index.js';
import { registry as named } from '../fixtures/codegen/named-types/generated/index.js';
import { registry as board } from '../fixtures/codegen/nested-unions/generated/index.js';
import { registry as billing } from '../fixtures/codegen/rpc-service/generated/index.js';
import { registry as streetlights } from '../fixtures/codegen/streetlights/generated/index.js';
import { codegenFixtures } from '../support/codegen-fixtures.js';
import { SHARED_URL } from '../support/private-rabbit.js';

const REGISTRIES = {
  catalogue,
  mini,
  'named-types': named,
  'nested-unions': board,
  'rpc-service': billing,
  streetlights,
} as Record<string, unknown> as Record<string, Registry>;

/**
 * The fixtures of issues 17 and 19 (every fixture not listed above, and not the two older ones that use our
 * envelope and are covered by their own tests): their registries, loaded from their committed output. A
 * fixture whose output is missing or does not load is a failing test below, not a silent omission.
 */
const OLDER = new Set([...Object.keys(REGISTRIES), 'greenhouse', 'versioned']);
const FOREIGN = await Promise.all(
  codegenFixtures()
    .filter((f) => !OLDER.has(f.name))
    .map(async (f) => {
      try {
        const module = (await import(resolve(f.generated, 'index.ts'))) as {
          registry: Registry;
        };
        return { name: f.name, registry: module.registry, error: null };
      } catch (error) {
        return { name: f.name, registry: null, error };
      }
    }),
);
for (const f of FOREIGN) if (f.registry) REGISTRIES[f.name] = f.registry;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function sample(schema: unknown, seed: number): Json {
  return generateSync(forFaker(schema) as never, { seed, maxItems: 3, maxLength: 48 }) as Json;
}

/** Keywords whose values are data, not schemas: never rewritten. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'example']);

/**
 * json-schema-faker 0.6 reads tuples as JSON Schema 2020-12 writes them (`prefixItems`, then `items` for the
 * rest); a draft-07 tuple (`items: [..]`, `additionalItems`) would be sampled as arrays of objects keyed
 * "0", "1". For sampling only, draft-07 tuples are rewritten to the 2020-12 form, which means the same.
 */
function forFaker(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forFaker);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  const source = schema as Record<string, unknown>;
  for (const [k, v] of Object.entries(source)) {
    if (k === 'additionalItems' && Array.isArray(source['items'])) continue;
    const value = DATA_KEYWORDS.has(k) ? v : forFaker(v);
    if (k === 'items' && Array.isArray(v)) {
      out['prefixItems'] = value;
      if ('additionalItems' in source) out['items'] = forFaker(source['additionalItems']);
    } else Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
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

describe('the fixtures of issues 17 and 19 have a generated registry', () => {
  it.each(FOREIGN.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    expect(f.error, `${f.name}/generated does not load: ${String(f.error)}`).toBeNull();
    expect(f.registry).not.toBeNull();
  });
});

/* ---------- through the real broker ---------- */

const RUN = randomBytes(4).toString('hex');

/** A value for each address parameter: its first enum value, its default, its first example, else one of ours. */
function parameterValues(defs: readonly EventDefinition[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const p of defs.flatMap((d) => d.parameters ?? [])) {
    values[p.name] ??= p.enum?.[0] ?? p.default ?? p.examples?.[0] ?? `bbtest${RUN}`;
  }
  return values;
}

/** Headers for `def`: json-schema-faker samples of its headers schema until one passes its validator. */
function headersFor(def: EventDefinition): Record<string, unknown> | undefined {
  if (!def.headers) return undefined;
  for (let seed = 1; seed <= 20; seed++) {
    const candidate = sample(def.headers.schema, seed);
    const checked = def.headers.validate(candidate);
    if (checked.ok) return checked.value as Record<string, unknown>;
  }
  throw new Error(`${def.key}: no json-schema-faker sample of the headers schema is valid`);
}

/** Payloads of `def` that its publish validator accepts: POOL samples and its examples, as publish leaves them. */
function acceptedPayloads(def: EventDefinition): Json[] {
  const pool = [
    ...Array.from({ length: POOL }, (_v, seed) => sample(def.schema, seed + 1)),
    ...(def.examples as Json[]),
  ];
  return pool.flatMap((p) => {
    const r = def.validatePublish(structuredClone(p));
    return r.ok ? [JSON.parse(JSON.stringify(r.value)) as Json] : [];
  });
}

async function until(check: () => boolean, what: () => string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Sent {
  readonly key: string;
  readonly payload: Json;
  readonly headers: Record<string, unknown> | undefined;
  readonly parameters: Record<string, string>;
}

describe('samples of every message round-trip through the real broker unchanged', () => {
  let connection: BloodbankConnection;
  const queues = new Set<string>();
  const exchanges = new Set<string>();

  beforeAll(async () => {
    connection = await createConnection({ url: SHARED_URL, name: `bbtest-roundtrip-${RUN}` });
  });

  afterAll(async () => {
    // Closed first: the exclusive queues some fixtures' bindings declare go with it, and deleting one of
    // them from another connection would fail (405) and close the channel under the deletes after it.
    await connection?.close();
    // Our queues and the exchanges the fixtures' bindings declared (kept when someone else still uses them).
    // One channel per delete: a failed one closes its channel, and must not skip the rest silently.
    const raw = await amqp.connect(SHARED_URL);
    const failed: string[] = [];
    for (const q of queues) {
      const ch = await raw.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteQueue(q).then(
        () => ch.close(),
        (error: Error) => failed.push(`queue ${q}: ${error.message}`),
      );
    }
    for (const x of exchanges) {
      // The bus's own exchange stays: other files declare it too, and bind to it in parallel with this one.
      if (x === '' || x.startsWith('amq.') || x === 'bloodbank.events.v1') continue;
      const ch = await raw.createChannel();
      ch.on('error', () => undefined);
      // 406 when another test's queue is still bound to it: expected, not a failure.
      await ch.deleteExchange(x, { ifUnused: true }).then(
        () => ch.close(),
        () => undefined,
      );
    }
    await raw.close().catch(() => undefined);
    expect(failed, 'queues this file declared and could not delete').toEqual([]);
  });

  it.each(FOREIGN.filter((f) => f.registry).map((f) => [f.name, f.registry as Registry] as const))(
    '%s',
    async (name, registry) => {
      const defs = registry.list();
      for (const d of defs) if (d.exchange) exchanges.add(d.exchange.name);
      const publisher = createPublisher({ registry, connection });
      const subscriber = await createSubscriber({
        registry,
        connection,
        retry: { maxAttempts: 2, delaysMs: [50] },
      });
      const received = new Map<string, { event: Envelope; context: MessageContext }>();
      const subscriptions: Subscription[] = [];
      try {
        // One subscription per channel, over all its messages, as a service consuming the channel would.
        const channels = new Map<string, string[]>();
        for (const def of defs) {
          const channel = def.channelId ?? def.key;
          channels.set(channel, [...(channels.get(channel) ?? []), def.key]);
        }
        for (const [channel, keys] of channels) {
          // The values of this channel's own placeholders (pinned: other runs' messages stay out).
          const own = parameterValues(keys.map((k) => registry.require(k)));
          const subscription = await subscriber.subscribe(
            keys,
            (event, context) => void received.set(event.event_id, { event, context }),
            {
              service: `bbtest-rt-${name}-${channel.replace(/[^A-Za-z0-9_-]+/g, '-')}-${RUN}`,
              parameters: own,
            },
          );
          subscriptions.push(subscription);
          const names = queueNamesOf(subscription.queue);
          for (const q of [names.main, names.dlq, names.retry(50)]) queues.add(q);
        }
        const sent = new Map<string, Sent>();
        for (const def of defs) {
          const payloads = acceptedPayloads(def);
          // Not vacuous: json-schema-faker gives at least one payload the publish validator accepts.
          expect(payloads.length, `${def.key}: no accepted sample`).toBeGreaterThan(0);
          const headers = headersFor(def);
          const parameters = parameterValues([def]);
          for (const payload of payloads) {
            const options: PublishOptions = {
              parameters,
              ...(def.address === null ? { routingKey: `bbtest.rt.${RUN}` } : {}),
              ...(headers ? { messageHeaders: headers } : {}),
            };
            const receipt = await publisher.publish(def.key, structuredClone(payload), options);
            sent.set(receipt.eventId, { key: def.key, payload, headers, parameters });
          }
        }
        await until(
          () => [...sent.keys()].every((id) => received.has(id)),
          () =>
            `${name}: not received: ${[...sent]
              .filter(([id]) => !received.has(id))
              .map(([, s]) => s.key)
              .join(', ')}`,
        );
        for (const [id, s] of sent) {
          const got = received.get(id);
          const def = registry.require(s.key);
          // The consumer told the message apart from the channel's others, and its payload is unchanged.
          expect(got?.event.event_type, `${name} ${s.key}`).toBe(s.key);
          expect(got?.event.payload, `${name} ${s.key}`).toEqual(s.payload);
          const con = def.validateConsume(structuredClone(s.payload));
          expect(con.ok ? con.value : con.issues, `${name} ${s.key}`).toEqual(s.payload);
          if (s.headers) expect(got?.context.messageHeaders, `${name} ${s.key}`).toEqual(s.headers);
          const names = (def.parameters ?? []).map((p) => p.name);
          if (names.length > 0)
            expect(got?.context.parameters, `${name} ${s.key}`).toEqual(
              Object.fromEntries(names.map((n) => [n, s.parameters[n]])),
            );
        }
      } finally {
        for (const s of subscriptions) await s.close().catch(() => undefined);
        await subscriber.close();
        await publisher.close();
      }
    },
    300_000,
  );
});
