/**
 * Consume validation never changes a valid payload (DESIGN.md §5): union payloads of the foreign
 * fixtures go through the publish validator, the real RabbitMQ broker and the consume validator and come
 * out deep-equal; a newer producer's unknown fields are dropped from exactly the branch that matched;
 * non-finite numbers and inherited properties are refused by both stages with the field's pointer.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDefinition } from '../../runtime/registry.js';
import { registry as boardRegistry } from '../fixtures/codegen/nested-unions/generated/index.js';
import { registry as billingRegistry } from '../fixtures/codegen/rpc-service/generated/index.js';
import { registry as streetlightsRegistry } from '../fixtures/codegen/streetlights/generated/index.js';
import { SHARED_URL, uniqueName } from '../support/private-rabbit.js';

/** The registries, seen through what this test uses (their catalogues differ). */
interface Definitions {
  require(key: string): EventDefinition;
}
const billing: Definitions = billingRegistry;
const board: Definitions = boardRegistry;
const streetlights: Definitions = streetlightsRegistry;

const line = { sku: 'widget', quantity: 3, unit_price: 250 };
const invoice = (payment: object) => ({ request_id: 'r-1', customer: { id: 'c-7' }, lines: [line], payment });
const circle = { type: 'circle', center: { x: 1, y: 2 }, radius: 3, unit: 'cm' };
const rect = { type: 'rect', corner: { x: 0, y: 0 }, w: 4, h: 5, rounded: true };

/** [event, payload as a producer writes it]. */
const CASES: ReadonlyArray<readonly [Definitions, string, unknown]> = [
  [billing, 'billing.invoice.create', invoice({ method: 'card', last4: '4242' })],
  [billing, 'billing.invoice.create', invoice({ method: 'transfer', iban: 'DE89370400440532013000' })],
  [billing, 'billing.invoice.created', { invoice_id: 'i', request_id: 'r', customer: { id: 'c' }, total: 1 }],
  [billing, 'billing.invoice.rejected', { request_id: 'r', reason: 'over_limit' }],
  [
    streetlights,
    'smartylighting.streetlights.lighting.measured',
    { streetlightId: 'sl', lumens: 3, sentAt: '2026-11-26T16:15:23Z' },
  ],
  [streetlights, 'smartylighting.streetlights.dim', { streetlightId: 'sl', percentage: 40 }],
  [board, 'board.shape.drawn', { id: 'a', shape: { kind: 'figure', geometry: circle } }],
  [
    board,
    'board.shape.drawn',
    { id: 'b', shape: { kind: 'figure', geometry: rect }, owner: { name: 'ada' } },
  ],
  [board, 'board.shape.drawn', { id: 'c', shape: 'a label', owner: { name: 'ada', team: 'core' } }],
  [board, 'board.shape.drawn', { id: 'd', shape: null, style: { mode: 'dark', background: '#fff' } }],
  [board, 'board.shape.drawn', { id: 'e', shape: null, style: { mode: 'light', border: { x: 1, y: 1 } } }],
  [
    board,
    'board.shape.drawn',
    {
      id: 'f',
      shape: { kind: 'figure', geometry: { type: 'rect', corner: { x: 0, y: 0 }, w: 1, h: 1 } },
      layers: [
        { kind: 'figure', geometry: { type: 'circle', center: { x: 0, y: 0 }, radius: 1 } },
        { kind: 'group', members: [{ kind: 'figure', geometry: rect }] },
      ],
    },
  ],
  [board, 'board.shape.erased', { constructor: 'x', count: 2 }],
];

const def = (registry: Definitions, key: string): EventDefinition => registry.require(key);

/** Publish-validate a copy; the value publish settles on (defaults applied) is what travels. */
function published(registry: Definitions, key: string, payload: unknown): unknown {
  const r = def(registry, key).validatePublish(structuredClone(payload));
  if (!r.ok) throw new Error(`${key} refused by publish: ${JSON.stringify(r.issues)}`);
  return r.value;
}

function consumed(registry: Definitions, key: string, wire: unknown): unknown {
  const r = def(registry, key).validateConsume(wire);
  if (!r.ok) throw new Error(`${key} refused by consume: ${JSON.stringify(r.issues)}`);
  return r.value;
}

describe('union payloads through the real broker', () => {
  let connection: amqp.ChannelModel;
  let channel: amqp.Channel;
  const queue = uniqueName('consume-unions');

  beforeAll(async () => {
    connection = await amqp.connect(SHARED_URL);
    channel = await connection.createChannel();
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true });
  });
  afterAll(async () => {
    await channel?.deleteQueue(queue).catch(() => undefined);
    await connection?.close();
  });

  it('every payload comes out of publish → broker → consume deep-equal', async () => {
    const sent = CASES.map(([registry, key, payload]) => ({
      registry,
      key,
      value: published(registry, key, payload),
    }));
    const received: Buffer[] = [];
    const all = new Promise<void>((resolve) => {
      void channel.consume(queue, (msg) => {
        if (!msg) return;
        received.push(msg.content);
        channel.ack(msg);
        if (received.length === sent.length) resolve();
      });
    });
    for (const s of sent)
      channel.sendToQueue(queue, Buffer.from(JSON.stringify(s.value)), { persistent: true });
    await all;
    sent.forEach((s, i) => {
      const wire = JSON.parse((received[i] as Buffer).toString('utf8')) as unknown;
      expect(consumed(s.registry, s.key, wire), `${s.key} #${i}`).toEqual(s.value);
    });
  });
});

describe('consume validation', () => {
  it('the card payment keeps last4 and the transfer payment is accepted (ajv removeAdditional lost both)', () => {
    const card = published(billing, 'billing.invoice.create', invoice({ method: 'card', last4: '4242' }));
    expect(consumed(billing, 'billing.invoice.create', structuredClone(card))).toMatchObject({
      payment: { method: 'card', last4: '4242' },
    });
    const transfer = published(
      billing,
      'billing.invoice.create',
      invoice({ method: 'transfer', iban: 'DE00' }),
    );
    expect(consumed(billing, 'billing.invoice.create', structuredClone(transfer))).toMatchObject({
      payment: { method: 'transfer', iban: 'DE00' },
    });
  });

  it.each([
    [
      'top level and inside the matched oneOf branch',
      billing,
      'billing.invoice.create',
      { ...invoice({ method: 'transfer', iban: 'DE00', bic: 'NEW' }), currency: 'EUR', added: 1 },
      {
        ...invoice({ method: 'transfer', iban: 'DE00' }),
        currency: 'EUR',
        customer: { id: 'c-7', email: null },
      },
    ],
    [
      'inside a oneOf inside an anyOf inside objects',
      board,
      'board.shape.drawn',
      { id: 'x', shape: { kind: 'figure', geometry: { ...circle, colour: 'red' }, z: 1 } },
      { id: 'x', shape: { kind: 'figure', geometry: circle } },
    ],
    [
      'overlapping closed anyOf branches: the one that matches strictly keeps its fields',
      board,
      'board.shape.drawn',
      { id: 'x', shape: null, owner: { name: 'ada', team: 'core', role: 'lead' }, added: true },
      { id: 'x', shape: null, owner: { name: 'ada', team: 'core', role: 'lead' } },
    ],
    [
      'then clause of if/then/else',
      board,
      'board.shape.drawn',
      { id: 'x', shape: null, style: { mode: 'dark', background: '#fff', glow: 1 } },
      { id: 'x', shape: null, style: { mode: 'dark', background: '#fff' } },
    ],
    [
      'else clause of if/then/else, and a $ref inside it',
      board,
      'board.shape.drawn',
      {
        id: 'x',
        shape: null,
        style: { mode: 'light', foreground: '#000', border: { x: 1, y: 2, z: 3 }, glow: 1 },
      },
      { id: 'x', shape: null, style: { mode: 'light', foreground: '#000', border: { x: 1, y: 2 } } },
    ],
    [
      'array items of a oneOf, nested',
      board,
      'board.shape.drawn',
      {
        id: 'x',
        shape: null,
        layers: [{ kind: 'group', members: [{ kind: 'figure', geometry: { ...rect, n: 1 } }], n: 2 }],
      },
      { id: 'x', shape: null, layers: [{ kind: 'group', members: [{ kind: 'figure', geometry: rect }] }] },
    ],
  ])(
    "a newer producer's unknown field, %s, is accepted and dropped from exactly that branch",
    (_name, registry, key, given, want) => {
      expect(consumed(registry, key, structuredClone(given))).toEqual(want);
    },
  );

  it('defaults inside union branches are applied from the branch that matched, on publish and consume', () => {
    const bare = {
      id: 'x',
      shape: { kind: 'figure', geometry: { type: 'rect', corner: { x: 0, y: 0 }, w: 1, h: 2 } },
    };
    expect(published(board, 'board.shape.drawn', bare)).toEqual({
      id: 'x',
      shape: {
        kind: 'figure',
        geometry: { type: 'rect', corner: { x: 0, y: 0 }, w: 1, h: 2, rounded: false },
      },
    });
    // An older producer that never sent the defaulted field; the circle branch's default is not applied to a rect.
    expect(consumed(board, 'board.shape.drawn', structuredClone(bare))).toEqual({
      id: 'x',
      shape: {
        kind: 'figure',
        geometry: { type: 'rect', corner: { x: 0, y: 0 }, w: 1, h: 2, rounded: false },
      },
    });
    const owner = published(board, 'board.shape.drawn', {
      id: 'y',
      shape: null,
      owner: { name: 'a', team: 't' },
    });
    expect(owner).toMatchObject({ owner: { name: 'a', team: 't', role: 'member' } });
    const dark = published(board, 'board.shape.drawn', { id: 'z', shape: null, style: { mode: 'dark' } });
    expect(dark).toMatchObject({ style: { mode: 'dark', background: '#000000' } });
    expect(dark).not.toHaveProperty('style.foreground');
  });

  it.each([
    [
      '1e400 in an integer field',
      '{"request_id":"r","customer":{"id":"c"},"lines":[{"sku":"a","quantity":1e400,"unit_price":1}],"payment":{"method":"card","last4":"4242"}}',
      '/lines/0/quantity',
    ],
    [
      '-1e400 in an integer field',
      '{"request_id":"r","customer":{"id":"c"},"lines":[{"sku":"a","quantity":1,"unit_price":-1e400}],"payment":{"method":"card","last4":"4242"}}',
      '/lines/0/unit_price',
    ],
  ])('%s is refused by publish and consume with its pointer', (_name, body, pointer) => {
    const create = def(billing, 'billing.invoice.create');
    for (const validate of [create.validatePublish, create.validateConsume]) {
      const r = validate(JSON.parse(body));
      expect(r.ok).toBe(false);
      expect(r.ok ? [] : r.issues.map((i) => i.pointer)).toContain(pointer);
    }
  });

  it('NaN and Infinity in a number field are refused by both stages', () => {
    const drawn = def(board, 'board.shape.drawn');
    for (const radius of [NaN, Infinity]) {
      const payload = { id: 'x', shape: { kind: 'figure', geometry: { ...circle, radius } } };
      for (const validate of [drawn.validatePublish, drawn.validateConsume]) {
        const r = validate(structuredClone(payload));
        expect(r.ok).toBe(false);
        expect(r.ok ? [] : r.issues.map((i) => i.pointer)).toContain('/shape/geometry/radius');
      }
    }
  });

  it('required: ["constructor"] rejects {} in both stages (own properties only)', () => {
    const erased = def(board, 'board.shape.erased');
    for (const validate of [erased.validatePublish, erased.validateConsume]) {
      const r = validate({});
      expect(r).toEqual({
        ok: false,
        issues: [expect.objectContaining({ pointer: '/constructor', rule: 'required' })],
      });
    }
  });
});
