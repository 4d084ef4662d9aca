/**
 * Property: thousands of malformed bodies, headers, paths and event types never get a 5xx, and nothing
 * reaches the exchange unless it was valid — the set of event ids on the bound queue equals the set the
 * gateway reported accepted (202/200, and the failure events of signed unmappable webhooks), and each of
 * those messages passes the strict validators.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKeyStore } from '../../../apps/gateway/auth.js';
import { sign } from '../../../apps/gateway/fireflies.js';
import { appRegistry, json, startGateway, type TestGateway } from './helpers.js';

const KEY = 'fuzz-key-0123456789abcdef';
const SECRET = 'fuzz-secret';
const RUNS = Number(process.env['GATEWAY_FUZZ_RUNS'] ?? 3000);

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway({
    apiKeys: createKeyStore([[KEY, ['llm.*', 'fireflies.#', 'agent.thread.prompt']]]),
    firefliesWebhookSecret: SECRET,
    listen: false,
  });
});
afterAll(async () => t?.close());

const defs = appRegistry.list();
const eventPaths = defs.map((d) => `/events/${d.tokens.join('/')}`);
const ascii = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const token = fc.oneof(
  fc.constantFrom('llm', 'prompt', 'fireflies', 'transcript', 'ready', 'custom', '*', '#', '%23', '..', ''),
  fc.stringMatching(/^[a-zA-Z0-9_.*#%-]{0,10}$/),
);
const path = fc.oneof(
  fc.constantFrom(...eventPaths, '/events/custom', '/commands/agent/thread/prompt', '/webhooks/fireflies'),
  fc.array(token, { minLength: 1, maxLength: 7 }).map((ts) => `/events/${ts.join('/')}`),
  fc.array(token, { minLength: 1, maxLength: 4 }).map((ts) => `/commands/${ts.join('/')}`),
  fc.constantFrom(...defs.map((d) => `/events/${d.key}`)),
);

/** An example with a few fields deleted or replaced by anything. */
const mutationsOf = (def: (typeof defs)[number]) =>
  fc
    .oneof(
      { weight: 1, arbitrary: fc.constant([] as Array<[number, unknown]>) },
      {
        weight: 2,
        arbitrary: fc.array(
          fc.tuple(fc.nat(), fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }))),
          {
            maxLength: 3,
          },
        ),
      },
    )
    .map((mutations) => mutate(def, mutations));

function mutate(
  def: (typeof defs)[number],
  mutations: ReadonlyArray<readonly [number, unknown]>,
): Record<string, unknown> {
  const value = structuredClone(def.examples[0]) as Record<string, unknown>;
  const keys = Object.keys(value);
  for (const [i, v] of mutations) {
    const k = keys[i % keys.length];
    if (k === undefined) continue;
    if (v === undefined) delete value[k];
    else value[k] = v;
  }
  return value;
}

/** A request aimed at one event's route with its (possibly mutated) example: the likely-valid half. */
const aimed = fc.constantFrom(...defs).chain((def) =>
  fc.tuple(
    fc.constantFrom(
      `/events/${def.tokens.join('/')}`,
      `/events/${def.key}`,
      ...(def.kind === 'command' ? [`/commands/${def.tokens.join('/')}`] : []),
    ),
    mutationsOf(def).map((v) => JSON.stringify(v)),
  ),
);

const mutatedExample = fc
  .tuple(
    fc.constantFrom(...defs),
    fc.oneof(
      { weight: 1, arbitrary: fc.constant([] as Array<[number, unknown]>) },
      {
        weight: 2,
        arbitrary: fc.array(
          fc.tuple(fc.nat(), fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }))),
          { maxLength: 3 },
        ),
      },
    ),
  )
  .map(([def, mutations]) => {
    const value = structuredClone(def.examples[0]) as Record<string, unknown>;
    const keys = Object.keys(value);
    for (const [i, v] of mutations) {
      const k = keys[i % keys.length];
      if (k === undefined) continue;
      if (v === undefined) delete value[k];
      else value[k] = v;
    }
    return value;
  });
const envelopeLike = fc.record(
  {
    event_type: fc.oneof(
      fc.constantFrom(...defs.map((d) => d.key), 'llm.#', 'llm.*', 'LLM.prompt', 'x'),
      ascii,
    ),
    event_id: fc.oneof(fc.uuid(), ascii),
    source: fc.oneof(fc.constant({ host: 'h', type: 'manual' }), fc.jsonValue({ maxDepth: 2 })),
    payload: fc.oneof(mutatedExample, fc.jsonValue({ maxDepth: 2 })),
    correlation_ids: fc.array(fc.oneof(fc.uuid(), ascii), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 4, arbitrary: mutatedExample.map((v) => JSON.stringify(v)) },
  envelopeLike.map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
  fc.constant('{"__proto__":{"x":1}}'),
);
const headers = fc.record(
  {
    authorization: fc.oneof(
      { weight: 6, arbitrary: fc.constant(`Bearer ${KEY}`) },
      { weight: 1, arbitrary: fc.constant('Bearer nope') },
      { weight: 1, arbitrary: ascii },
    ),
    'x-api-key': fc.oneof({ weight: 3, arbitrary: fc.constant(KEY) }, { weight: 1, arbitrary: ascii }),
    'content-type': fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data',
          'application/json; charset=latin1',
        ),
      },
    ),
    'x-bloodbank-app': ascii,
    'x-bloodbank-parent-ids': fc.oneof(
      { weight: 4, arbitrary: fc.array(fc.uuid(), { maxLength: 3 }).map((ids) => ids.join(',')) },
      { weight: 1, arbitrary: ascii },
    ),
    'x-bloodbank-idempotency-key': ascii,
    'x-bloodbank-agent-context': fc.oneof(
      {
        weight: 1,
        arbitrary: fc
          .jsonValue({ maxDepth: 2 })
          .map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64')),
      },
      { weight: 4, arbitrary: fc.constant(Buffer.from('{"type":"claude-code"}').toString('base64')) },
      { weight: 1, arbitrary: ascii },
    ),
    'x-hub-signature': ascii,
  },
  { requiredKeys: [] },
);

it(`never answers 5xx and publishes only what it reported accepted (${RUNS} requests)`, async () => {
  const accepted = new Set<string>();
  const statuses = new Map<number, number>();
  let reported = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof({ weight: 2, arbitrary: aimed }, { weight: 3, arbitrary: fc.tuple(path, body) }),
      headers,
      fc.boolean(),
      async ([url, payload], hdrs, signWebhook) => {
        const h: Record<string, string> = { ...hdrs };
        if (url === '/webhooks/fireflies' && signWebhook) h['x-hub-signature'] = sign(SECRET, payload);
        const res = await t.gateway.app.inject({ method: 'POST', url, headers: h, payload });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode, `${url} ${res.body.slice(0, 300)}`).toBeLessThan(500);
        const answer = String(res.headers['content-type'] ?? '').includes('json')
          ? (JSON.parse(res.body) as Record<string, unknown>)
          : {};
        if (res.statusCode < 300) {
          expect(answer['event_id'], res.body).toMatch(/^[0-9a-f-]{36}$/);
          accepted.add(answer['event_id'] as string);
          reported += 1;
        }
        if (typeof answer['failure_event_id'] === 'string') accepted.add(answer['failure_event_id']);
      },
    ),
    { numRuns: RUNS, seed: Number(process.env['GATEWAY_FUZZ_SEED'] ?? 5) },
  );
  const messages = await t.drain(100_000, 1_000);
  const onQueue = new Set(messages.map((m) => json(m).event_id));
  expect([...onQueue].sort()).toEqual([...accepted].sort());
  for (const m of messages) {
    const envelope = json(m) as unknown as { event_type: string; payload: unknown };
    expect(appRegistry.envelope?.validatePublish(structuredClone(envelope)).ok, envelope.event_type).toBe(
      true,
    );
    const checked = appRegistry
      .require(envelope.event_type)
      .validatePublish(structuredClone(envelope.payload));
    expect(checked.ok, `${envelope.event_type} ${JSON.stringify(checked)}`).toBe(true);
  }
  // The run exercised acceptance as well as rejection.
  expect(reported).toBeGreaterThan(RUNS / 60);
  console.log('fuzz statuses', Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])));
}, 120_000);
