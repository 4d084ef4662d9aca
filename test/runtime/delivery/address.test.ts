import { describe, expect, it } from 'vitest';
import { addressOf, bindingKeyOf, mqttToAmqp, resolveAddress } from '../../../runtime/delivery/address.js';
import type { EventDefinition } from '../../../runtime/registry.js';

function def(extra: Partial<EventDefinition>): EventDefinition {
  const ok = (v: unknown) => ({ ok: true as const, value: v });
  return {
    key: 'k',
    tokens: ['k'],
    domain: 'k',
    group: 'k',
    kind: 'event',
    typeName: 'K',
    schemaId: null,
    schema: true,
    replyKey: null,
    errorKey: null,
    title: '',
    description: '',
    examples: [],
    validatePublish: ok,
    validateConsume: ok,
    ...extra,
  };
}

describe('channel addresses (DESIGN.md §3, delivery/address.ts)', () => {
  it('maps an MQTT topic as RabbitMQ’s MQTT plugin does', () => {
    expect(mqttToAmqp('a/b/{id}')).toBe('a.b.{id}');
    // rabbit_mqtt_util to_amqp: a dot stays a dot (and so separates words on the AMQP side).
    expect(mqttToAmqp('v1.0/x')).toBe('v1.0.x');
    expect(mqttToAmqp('a/+/c')).toBe('a.*.c');
  });

  it('binds * for a whole-word placeholder, # for one inside a word, and the value when pinned', () => {
    const words = def({ address: 'smartylighting.streetlights.1.0.action.{streetlightId}.turn.on' });
    expect(bindingKeyOf(words, undefined)).toEqual({
      key: 'smartylighting.streetlights.1.0.action.*.turn.on',
      filter: false,
    });
    expect(bindingKeyOf(words, { streetlightId: 'sl7' })?.key).toBe(
      'smartylighting.streetlights.1.0.action.sl7.turn.on',
    );
    const inside = def({ address: 'comment/{commentId}/changed' });
    expect(bindingKeyOf(inside, undefined)).toEqual({ key: '#', filter: true });
    expect(bindingKeyOf(inside, { commentId: 'c1' })).toEqual({ key: 'comment/c1/changed', filter: false });
    expect(bindingKeyOf(def({ address: null }), undefined)).toEqual({ key: '#', filter: true });
    expect(bindingKeyOf(def({ address: 'a/{x}', delivery: { is: 'mqtt' } }), undefined)).toEqual({
      key: 'a.*',
      filter: false,
    });
  });

  it('parses the parameters back from a routing key, and only from its own address', () => {
    const a = addressOf(def({ address: 'comment/{commentId}/changed' }));
    expect(a.parse('comment/c-1/changed')).toEqual({ commentId: 'c-1' });
    expect(a.parse('comment/c-1/deleted')).toBeNull();
    const b = addressOf(def({ address: 'x.{a}.y.{b}' }));
    expect(b.parse('x.1.y.2')).toEqual({ a: '1', b: '2' });
    expect(b.parse('x.1.2.y.3')).toBeNull();
  });

  it('fills placeholders (defaults, enums) and refuses values that would break routing, naming the parameter', () => {
    const d = def({
      address: 'rooms.{room}.{kind}',
      parameters: [{ name: 'room' }, { name: 'kind', enum: ['a', 'b'], default: 'a' }],
    });
    expect(resolveAddress(d, { room: 'r1' }, undefined)).toEqual({
      ok: true,
      routingKey: 'rooms.r1.a',
      parameters: { room: 'r1', kind: 'a' },
    });
    for (const bad of ['', 'x.y', 'x*', '#']) {
      const r = resolveAddress(d, { room: bad }, undefined);
      expect(r.ok ? [] : r.issues.map((i) => i.pointer)).toEqual(['/parameters/room']);
    }
    const wrong = resolveAddress(d, { room: 'r', kind: 'c' }, undefined);
    expect(wrong.ok ? null : wrong.issues[0]?.rule).toBe('enum');
    const missing = resolveAddress(d, {}, undefined);
    expect(missing.ok ? null : missing.issues[0]?.rule).toBe('required');
    const open = resolveAddress(def({ address: null }), undefined, undefined);
    expect(open.ok ? null : open.issues[0]?.pointer).toBe('/routingKey');
    const queue = def({
      delivery: {
        is: 'queue',
        queue: { name: 'rpc_queue', durable: true, exclusive: false, autoDelete: false },
      },
    });
    expect(resolveAddress(queue, undefined, undefined)).toMatchObject({ ok: true, routingKey: 'rpc_queue' });
  });
});
