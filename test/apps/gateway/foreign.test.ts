/**
 * The gateway on a registry of a document we did not write (issue 17 point 2): keys are channel ids, so
 * each entry's route is its key as one segment; `{param}` values come from the query under their own
 * names (documented in the OpenAPI), bad values answer 400 naming the parameter, `address: null` takes
 * `?routing_key=`. What the gateway hands the publisher (parameters, routing key) is captured on the way
 * to the real broker, which confirms each publish.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishOptions } from '../../../runtime/bus.js';
import type { Envelope } from '../../../runtime/envelope.js';
import { SHARED_URL } from '../../support/private-rabbit.js';
import { foreignRegistry } from '../shared/foreign-registry.js';
import { startGateway, type TestGateway } from './helpers.js';

let t: TestGateway;
const sent: Array<{ envelope: Envelope; options: PublishOptions | undefined }> = [];
beforeAll(async () => {
  t = await startGateway({ registry: foreignRegistry, redisUrl: null });
  const broker = t.gateway.broker;
  const publish = broker.publish.bind(broker);
  broker.publish = (envelope, options) => {
    sent.push({ envelope, options });
    return publish(envelope, options);
  };
});
afterAll(async () => t?.close());

const post = (path: string, body: unknown) =>
  fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

interface ErrorBody {
  error: string;
  message: string;
  issues: Array<{ in: string; parameter?: string; rule: string }>;
}

describe('routes of a document we did not write', () => {
  it('publishes lightTurnOn at /events/lightTurnOn with its {streetlightId} from the query', async () => {
    sent.length = 0;
    const res = await post('/events/lightTurnOn?streetlightId=lamp7', { command: 'on' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ event_type: 'lightTurnOn' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.options).toEqual({ parameters: { streetlightId: 'lamp7' } });
    expect(sent[0]?.envelope.payload).toEqual({ command: 'on' });
    expect(await t.drain(1)).toHaveLength(1);
  });

  it('routes a key with a dot (channel.message) as one segment', async () => {
    sent.length = 0;
    // The channel is on an MQTT server: RabbitMQ's MQTT plugin topic `user/signedup` is `user.signedup` on
    // amq.topic, where the publish goes (mandatory), so a queue of this test's own is bound there.
    const conn = await amqp.connect(SHARED_URL);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'amq.topic', 'user.signedup');
    try {
      const res = await post('/events/userSignedup.userSignedUp', { id: 'u1' });
      expect(res.status).toBe(202);
      expect(sent[0]?.envelope.event_type).toBe('userSignedup.userSignedUp');
      let got: amqp.GetMessage | false = false;
      while (!(got = await ch.get(queue, { noAck: true }))) await new Promise((r) => setImmediate(r));
      expect(got.fields.routingKey).toBe('user.signedup');
      expect(JSON.parse(got.content.toString())).toEqual({ id: 'u1' });
    } finally {
      await conn.close();
    }
  });

  it('fills a default and refuses a missing, empty, routing-breaking or out-of-enum value, naming it', async () => {
    sent.length = 0;
    expect((await post('/events/commentChanged?commentId=c1', { text: 'x' })).status).toBe(202);
    expect(sent[0]?.options).toEqual({ parameters: { commentId: 'c1', change: 'edited' } });
    await t.drain(1);

    const cases: Array<[string, string, string]> = [
      ['/events/lightTurnOn', 'streetlightId', 'required'],
      ['/events/lightTurnOn?streetlightId=', 'streetlightId', 'minLength'],
      ['/events/lightTurnOn?streetlightId=a.b', 'streetlightId', 'pattern'],
      ['/events/lightTurnOn?streetlightId=%23', 'streetlightId', 'pattern'],
      ['/events/lightTurnOn?streetlightId=a&streetlightId=b', 'streetlightId', 'type'],
      ['/events/commentChanged?commentId=c1&change=moved', 'change', 'enum'],
      ['/events/lightTurnOn?streetlightId=a&colour=red', 'colour', 'additionalProperties'],
    ];
    sent.length = 0;
    for (const [path, parameter, rule] of cases) {
      const res = await post(path, path.includes('comment') ? { text: 'x' } : { command: 'on' });
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toBe('validation_failed');
      expect(body.issues, path).toContainEqual(expect.objectContaining({ in: 'query', parameter, rule }));
      expect(body.message).toContain(`?${parameter}`);
    }
    expect(sent).toHaveLength(0);
  });

  it('takes ?routing_key= for a channel whose address is null, and requires it', async () => {
    sent.length = 0;
    const missing = await post('/events/anyTopic', { text: 'x' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as ErrorBody).issues).toContainEqual(
      expect.objectContaining({ parameter: 'routing_key', rule: 'required' }),
    );
    const pattern = await post('/events/anyTopic?routing_key=a.%23', { text: 'x' });
    expect(((await pattern.json()) as ErrorBody).issues).toContainEqual(
      expect.objectContaining({ parameter: 'routing_key', rule: 'pattern' }),
    );
    const ok = await post('/events/anyTopic?routing_key=notes.daily', { text: 'x' });
    expect(ok.status).toBe(202);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.options).toEqual({ routingKey: 'notes.daily' });
    await t.drain(1);
    const notNull = await post('/events/lightTurnOn?streetlightId=a&routing_key=x', { command: 'on' });
    expect(((await notNull.json()) as ErrorBody).issues).toContainEqual(
      expect.objectContaining({ parameter: 'routing_key', rule: 'not' }),
    );
  });

  it('POST /events/custom accepts a foreign key with its parameters from the query', async () => {
    sent.length = 0;
    const envelope = {
      event_type: 'lightTurnOn',
      source: { host: 'h', type: 'manual', app: 'test' },
      payload: { command: 'off' },
    };
    const bad = await post('/events/custom', envelope);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).issues).toContainEqual(
      expect.objectContaining({ parameter: 'streetlightId', rule: 'required' }),
    );
    const res = await post('/events/custom?streetlightId=lamp9', envelope);
    expect(res.status).toBe(200);
    expect(sent[0]?.options).toEqual({ parameters: { streetlightId: 'lamp9' } });
    await t.drain(1);
  });
});

describe('what the gateway serves about them', () => {
  it('the OpenAPI document has a path per entry with its parameters in the query', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        { post: { operationId: string; description: string; parameters: Array<Record<string, unknown>> } }
      >;
    };
    const light = doc.paths['/events/lightTurnOn']?.post;
    expect(light?.operationId).toBe('publish_lightTurnOn');
    expect(light?.description).toContain('smartylighting.streetlights.1.0.action.{streetlightId}.turn.on');
    expect(light?.parameters).toContainEqual(
      expect.objectContaining({ name: 'streetlightId', in: 'query', required: true, example: 'lamp7' }),
    );
    const comment = doc.paths['/events/commentChanged']?.post.parameters;
    expect(comment).toContainEqual(
      expect.objectContaining({
        name: 'change',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ enum: ['edited', 'deleted'], default: 'edited' }),
      }),
    );
    expect(doc.paths['/events/anyTopic']?.post.parameters).toContainEqual(
      expect.objectContaining({ name: 'routing_key', in: 'query', required: true }),
    );
    expect(doc.paths['/events/userSignedup.userSignedUp']?.post.operationId).toBe(
      'publish_userSignedup_userSignedUp',
    );
    // An MQTT topic: the routing key as RabbitMQ's MQTT plugin maps it (`+` → `*`), and values that would
    // split the topic (`/`, `+`) refused by the schema as by the publisher.
    const alarm = doc.paths['/events/sensorAlarm']?.post;
    expect(alarm?.description).toContain('Routing key: `site.*.alarm.{level}`');
    expect(alarm?.parameters).toContainEqual(
      expect.objectContaining({ name: 'level', schema: expect.objectContaining({ pattern: '^[^.*#/+]+$' }) }),
    );
  });

  it('GET /events and /docs show channel, address and parameters', async () => {
    const listing = (await (await fetch(`${t.url}/events`)).json()) as {
      domains: Array<{ events: Array<Record<string, unknown>> }>;
    };
    const light = listing.domains.flatMap((d) => d.events).find((e) => e['type'] === 'lightTurnOn');
    expect(light).toMatchObject({
      path: '/events/lightTurnOn',
      channel_id: 'lightTurnOn',
      message_id: 'turnOn',
      address: 'smartylighting.streetlights.1.0.action.{streetlightId}.turn.on',
      parameters: [expect.objectContaining({ name: 'streetlightId' })],
    });
    const docs = await (await fetch(`${t.url}/docs`)).text();
    expect(docs).toContain('<code>smartylighting.streetlights.1.0.action.{streetlightId}.turn.on</code>');
    expect(docs).toContain('/events/lightTurnOn?streetlightId=lamp7&#39;');
    expect(docs).toContain('<code>change</code> one of <code>edited</code>, <code>deleted</code>');
  });
});
