import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../runtime/envelope.js';
import {
  decodeBody,
  decodeMeta,
  encodeMessage,
  MAX_HEADER_BYTES,
  serializeEnvelope,
  timestampSeconds,
} from '../../runtime/wire.js';
import { createTestRegistry } from '../support/test-registry.js';

const envelope: Envelope<'test.order.created', unknown> = {
  event_id: '22fe9282-8389-5e39-adeb-84fa16ae582b',
  event_type: 'test.order.created',
  timestamp: '2026-11-26T16:15:23.030243+00:00',
  version: '1.0.0',
  source: { host: 'box', type: 'agent', app: 'shop', meta: null },
  correlation_ids: ['85e4c836-0b8c-5643-b48c-48a5451472ab'],
  agent_context: {
    type: 'claude',
    name: 'café',
    system_prompt: null,
    instance_id: null,
    mcp_servers: [],
    file_references: null,
    url_references: null,
    code_state: null,
    checkpoint_id: null,
    meta: {},
  },
  payload: { order_id: 'o-1', amount: 12.5, currency: 'EUR', note: null },
};

/** What the original writes: orjson.dumps(envelope.model_dump(mode="json")) — compact, field order, UTF-8. */
const ORIGINAL_BODY =
  '{"event_id":"22fe9282-8389-5e39-adeb-84fa16ae582b","event_type":"test.order.created",' +
  '"timestamp":"2026-11-26T16:15:23.030243+00:00","version":"1.0.0",' +
  '"source":{"host":"box","type":"agent","app":"shop","meta":null},' +
  '"correlation_ids":["85e4c836-0b8c-5643-b48c-48a5451472ab"],' +
  '"agent_context":{"type":"claude","name":"café","system_prompt":null,"instance_id":null,"mcp_servers":[],' +
  '"file_references":null,"url_references":null,"code_state":null,"checkpoint_id":null,"meta":{}},' +
  '"payload":{"order_id":"o-1","amount":12.5,"currency":"EUR","note":null}}';

describe('wire: body', () => {
  it('writes the envelope byte for byte as the original', () => {
    expect(serializeEnvelope(envelope)).toBe(ORIGINAL_BODY);
    expect(encodeMessage(envelope).body.equals(Buffer.from(ORIGINAL_BODY, 'utf8'))).toBe(true);
  });

  it('keeps the original field order whatever order the object was built in', () => {
    const { payload, agent_context, source, ...rest } = envelope;
    const shuffled = {
      payload,
      agent_context: agent_context ? { ...agent_context, meta: {}, type: 'claude' } : null,
      source: { meta: null, app: 'shop', type: source.type, host: 'box' },
      ...rest,
    } as Envelope;
    expect(serializeEnvelope(shuffled)).toBe(ORIGINAL_BODY);
  });

  it('reads a body produced by the original and validates it', () => {
    const decoded = decodeBody(Buffer.from(ORIGINAL_BODY, 'utf8'), 'utf-8');
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value).toEqual(envelope);
    const registry = createTestRegistry();
    const value = decoded.value as Envelope;
    expect(registry.envelope?.validateConsume(value).ok).toBe(true);
    expect(registry.require(value.event_type).validateConsume(value.payload).ok).toBe(true);
  });

  it('reports an unparsable body or a foreign encoding instead of throwing', () => {
    expect(decodeBody(Buffer.from('{"event_id":'))).toMatchObject({ ok: false });
    expect(decodeBody(Buffer.from('{}'), 'gzip')).toEqual({
      ok: false,
      reason: 'unsupported content encoding gzip',
    });
  });
});

describe('wire: properties and headers', () => {
  it('sets the AMQP properties of DESIGN §6', () => {
    const { properties } = encodeMessage(envelope);
    expect(properties).toMatchObject({
      persistent: true,
      messageId: envelope.event_id,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      type: 'test.order.created',
      timestamp: Math.floor(Date.UTC(2026, 10, 26, 16, 15, 23) / 1000),
      appId: 'shop',
    });
  });

  it('omits appId when the source has no app', () => {
    const { properties } = encodeMessage({ ...envelope, source: { ...envelope.source, app: null } });
    expect(properties).not.toHaveProperty('appId');
    expect(properties.headers['cloudEvents_source']).toBe('urn:bloodbank:unknown@box');
  });

  it('writes CloudEvents, workflow and causation headers; user headers cannot override them', () => {
    const { properties } = encodeMessage(envelope, {
      workflowId: 'root-id',
      headers: { traceparent: '00-abc-def-01', cloudEvents_id: 'forged', retries: 2, flag: true },
    });
    expect(properties.headers).toEqual({
      traceparent: '00-abc-def-01',
      retries: 2,
      flag: true,
      cloudEvents_specversion: '1.0',
      cloudEvents_id: envelope.event_id,
      cloudEvents_type: 'test.order.created',
      cloudEvents_source: 'urn:bloodbank:shop@box',
      cloudEvents_time: '2026-11-26T16:15:23.030243+00:00',
      'bb-correlation-id': 'root-id',
      'bb-causation-ids': '85e4c836-0b8c-5643-b48c-48a5451472ab',
    });
  });

  it('defaults the workflow id to the event itself and omits causation for a root', () => {
    const { properties } = encodeMessage({ ...envelope, correlation_ids: [] });
    expect(properties.headers['bb-correlation-id']).toBe(envelope.event_id);
    expect(properties.headers).not.toHaveProperty('bb-causation-ids');
  });

  it('keeps the causation header under the size bound (the body keeps every parent)', () => {
    const parents = Array.from(
      { length: 500 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const { properties, body } = encodeMessage({ ...envelope, correlation_ids: parents });
    const header = properties.headers['bb-causation-ids'] as string;
    expect(header.length).toBeLessThanOrEqual(MAX_HEADER_BYTES);
    expect(header.split(',')).toEqual(parents.slice(0, header.split(',').length));
    expect((JSON.parse(body.toString()) as Envelope).correlation_ids).toHaveLength(500);
  });

  it.each([
    ['an object', { nested: { a: 1 } }, /header nested must be a string, number or boolean \(got object\)/],
    ['null', { nothing: null }, /header nothing must be a string, number or boolean \(got null\)/],
    [
      'an oversized string',
      { big: 'x'.repeat(MAX_HEADER_BYTES + 1) },
      /header big is 4097 bytes, at most 4096/,
    ],
  ])('rejects %s as a header value', (_name, headers, message) => {
    expect(() => encodeMessage(envelope, { headers: headers as never })).toThrow(message);
  });

  it('falls back to now for an unparsable timestamp', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(timestampSeconds('not a date')).toBeGreaterThanOrEqual(now);
  });
});

describe('wire: decodeMeta', () => {
  it('decodes what encodeMessage wrote', () => {
    const { properties } = encodeMessage(envelope, { workflowId: 'w-1', headers: { traceparent: 't' } });
    // amqplib hands long strings of a received table back as Buffers in some paths: accept both.
    const headers = { ...properties.headers, 'bb-causation-ids': Buffer.from('a,b') };
    expect(decodeMeta({ ...properties, headers })).toMatchObject({
      eventId: envelope.event_id,
      eventType: 'test.order.created',
      workflowId: 'w-1',
      causationIds: ['a', 'b'],
      traceparent: 't',
      cloudEventsSource: 'urn:bloodbank:shop@box',
    });
  });

  it('accepts a message of the original (message_id only, no headers, no type)', () => {
    expect(decodeMeta({ messageId: envelope.event_id, headers: undefined })).toEqual({
      eventId: envelope.event_id,
      eventType: null,
      workflowId: null,
      causationIds: [],
      traceparent: null,
      cloudEventsSource: null,
      headers: {},
    });
  });
});
