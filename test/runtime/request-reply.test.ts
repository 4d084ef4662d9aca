/**
 * Request/reply on the bare wire (issue 17), on RabbitMQ and in memory: the generated requester of the
 * fixture rpc-requester (operation `quote`, `send` + reply) against the generated responder of the fixture
 * rpc-queue (the same operation, `receive` + reply). The queue `quote_requests` of both documents is
 * renamed per test (unique names).
 */
import { randomBytes } from 'node:crypto';
import type { Channel, GetMessage } from 'amqplib';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { EventPublisher, EventSubscriber, ReplyQueues } from '../../runtime/bus.js';
import { createConnection, type BloodbankConnection } from '../../runtime/amqp/connection.js';
import { createSubscriber } from '../../runtime/amqp/consumer.js';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { HEADERS, queueNamesOf } from '../../runtime/delivery/rules.js';
import { createRequestReply, type RequestReply } from '../../runtime/delivery/request-reply.js';
import { isPayloadValidationError } from '../../runtime/errors/payload-validation-error.js';
import { isRequestTimeoutError } from '../../runtime/errors/request-timeout-error.js';
import { createMemoryBus } from '../../runtime/memory/index.js';
import { createRegistry, type Catalog, type EventDefinition, type Registry } from '../../runtime/registry.js';
import {
  createResponders,
  registry as responderRegistry,
  type BloodbankCatalog as ResponderCatalog,
  type Responders,
} from '../fixtures/codegen/rpc-queue/generated/index.js';
import {
  createResponders as createServiceResponders,
  registry as serviceRegistry,
} from '../fixtures/codegen/rpc-service/generated/index.js';
import {
  createRequesters,
  registry as requesterRegistry,
  type BloodbankCatalog as RequesterCatalog,
  type QuoteRepliesPayload,
  type Requesters,
} from '../fixtures/codegen/rpc-requester/generated/index.js';

const RABBIT_URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

interface Variant {
  /** The responder's publish validator of the reply accepts anything (a foreign responder's bug). */
  readonly lenientReply?: boolean;
  /** The request declares no headers, so a request may come without a reply address. */
  readonly noRequestHeaders?: boolean;
  /** The requester's document too. */
  readonly requesterNoRequestHeaders?: boolean;
}

/** The registry with the request queue renamed (and the variant's changes). */
function variantOf<M extends Catalog>(registry: Registry<M>, queue: string, v: Variant = {}): Registry<M> {
  return createRegistry<M>(
    registry.list().map((d): EventDefinition => {
      let out: EventDefinition = d;
      if (d.delivery?.is === 'queue')
        out = {
          ...d,
          address: queue,
          delivery: { ...d.delivery, queue: { ...d.delivery.queue, name: queue } },
        };
      if (v.noRequestHeaders && d.key === 'quoteRequests') {
        const { headers: _headers, ...rest } = out;
        out = rest;
      }
      if (v.lenientReply && d.key === 'quoteReplies')
        out = { ...out, validatePublish: (value) => ({ ok: true, value }) };
      return out;
    }),
    null,
  );
}

interface Harness {
  readonly queue: string;
  readonly requester: RequestReply<RequesterCatalog>;
  readonly responder: RequestReply<ResponderCatalog>;
  readonly requesters: Requesters;
  readonly responders: Responders;
  /** A foreign producer: raw bytes straight into the request queue. */
  sendRaw(body: string, headers?: Record<string, unknown>): Promise<void>;
  /** Dead letters (`bb-dead-letter-reason` and `bb-error`) of the request queue, once `count` are there. */
  deadLetters(count: number): Promise<Array<{ reason: string; error: string }>>;
  close(): Promise<void>;
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const RETRY = { maxAttempts: 2, delaysMs: [50] } as const;
const SERVICE = 'quotes';

async function amqpHarness(v: Variant = {}): Promise<Harness> {
  const suffix = randomBytes(4).toString('hex');
  const queue = `bbtest.quote_requests.${suffix}`;
  const exchange = `bbtest.rpc.${suffix}`;
  const connection: BloodbankConnection = await createConnection({
    url: RABBIT_URL,
    name: `bbtest-rpc-${suffix}`,
  });
  await connection.waitForConnect();
  const side = async <M extends Catalog>(registry: Registry<M>) => {
    const publisher = createPublisher({ registry, connection, exchange });
    await publisher.ready();
    const subscriber = await createSubscriber({ registry, connection, exchange, retry: RETRY });
    return { registry, publisher, subscriber };
  };
  const a = await side(variantOf(responderRegistry, queue, v));
  const b = await side(
    variantOf(requesterRegistry, queue, { noRequestHeaders: v.requesterNoRequestHeaders ?? false }),
  );
  const responder = createRequestReply(a);
  const requester = createRequestReply(b);
  const raw: Channel = await connection.createChannel();
  return {
    queue,
    requester,
    responder,
    requesters: createRequesters(requester),
    responders: createResponders(responder),
    async sendRaw(body, headers = {}) {
      raw.sendToQueue(queue, Buffer.from(body), { headers });
    },
    async deadLetters(count) {
      const out: Array<{ reason: string; error: string }> = [];
      const end = Date.now() + 10_000;
      while (out.length < count && Date.now() < end) {
        const m = await raw.get(queueNamesOf(queue).dlq, { noAck: true });
        if (m)
          out.push({
            reason: String(m.properties.headers?.[HEADERS.deadLetterReason]),
            error: String(m.properties.headers?.[HEADERS.error]),
          });
        else await new Promise((r) => setTimeout(r, 50));
      }
      return out;
    },
    async close() {
      await requester.close();
      await responder.close();
      for (const s of [a, b]) {
        await s.subscriber.close();
        await s.publisher.close();
      }
      const n = queueNamesOf(queue);
      for (const name of [n.main, n.dlq, n.retry(50)]) await raw.deleteQueue(name).catch(() => {});
      await raw.deleteExchange(exchange).catch(() => {});
      await raw.close().catch(() => {});
      await connection.close();
    },
  };
}

async function memoryHarness(v: Variant = {}): Promise<Harness> {
  const suffix = randomBytes(4).toString('hex');
  const queue = `bbtest.quote_requests.${suffix}`;
  // One bus: the responder's registry publishes and routes (the two documents describe the same wire);
  // the requester reads replies with its own registry.
  const registry = variantOf(responderRegistry, queue, v);
  const bus = createMemoryBus({ registry, retry: RETRY });
  const responder = createRequestReply({ registry, publisher: bus, subscriber: bus });
  const requester = createRequestReply({
    registry: variantOf(requesterRegistry, queue, {
      noRequestHeaders: v.requesterNoRequestHeaders ?? false,
    }),
    publisher: bus as unknown as EventPublisher<RequesterCatalog>,
    subscriber: bus as unknown as EventSubscriber<RequesterCatalog> & ReplyQueues,
  });
  return {
    queue,
    requester,
    responder,
    requesters: createRequesters(requester),
    responders: createResponders(responder),
    async sendRaw(body, headers = {}) {
      bus.inject(queue, body, headers);
    },
    async deadLetters(count) {
      await until(() => bus.deadLetters(SERVICE).length >= count).catch(() => {});
      return bus.deadLetters(SERVICE).map((d) => ({ reason: String(d.reason), error: String(d.error) }));
    },
    async close() {
      await requester.close();
      await responder.close();
      await bus.close();
    },
  };
}

/** The typed API, checked by the compiler (never run). */
function typeChecks(h: Harness): void {
  expectTypeOf(h.requesters.requestQuote).returns.resolves.toEqualTypeOf<QuoteRepliesPayload>();
  // @ts-expect-error: quantity is a number
  void h.requesters.requestQuote({ sku: 'ABC-1234', quantity: '2' });
  // @ts-expect-error: the reply needs a price and a currency (or an error)
  void h.responders.serveQuote(async () => ({ price: 1 }), { service: SERVICE });
}
void typeChecks;

for (const [name, make] of [
  ['RabbitMQ', amqpHarness],
  ['in-memory', memoryHarness],
] as const) {
  describe(`request/reply on the bare wire, ${name}`, () => {
    let h: Harness | null = null;
    const open = async (v?: Variant): Promise<Harness> => (h = await make(v));
    afterEach(async () => {
      await h?.close();
      h = null;
    });

    it('answers concurrent requests, each with its own reply (matched by correlation id)', async () => {
      const { requesters, responders } = await open();
      const seen: Array<{ correlationId: string | undefined; tenant: unknown }> = [];
      const held: Array<() => void> = [];
      await responders.serveQuote(
        async (request, context) => {
          seen.push({ correlationId: context.correlationId, tenant: context.messageHeaders?.['tenant'] });
          // Every request waits until all 20 are in; then they are answered in reverse order.
          await new Promise<void>((release) => {
            held.push(release);
            if (held.length === 20) for (const r of held.reverse()) r();
          });
          return { price: request.quantity * 10, currency: request.currency };
        },
        { service: SERVICE, concurrency: 20, prefetch: 20 },
      );
      const quantities = Array.from({ length: 20 }, (_, i) => i + 1);
      const replies = await Promise.all(
        quantities.map((quantity) =>
          requesters.requestQuote(
            { sku: 'ABC-1234', quantity },
            { messageHeaders: { tenant: 'acme' }, timeoutMs: 20_000 },
          ),
        ),
      );
      expect(replies).toEqual(quantities.map((q) => ({ price: q * 10, currency: 'EUR' })));
      expect(new Set(seen.map((s) => s.correlationId)).size).toBe(20);
      expect(seen.every((s) => s.tenant === 'acme')).toBe(true);
      expect(h?.requester.pending).toBe(0);
    });

    it('keeps a correlation id the caller gives', async () => {
      const { requester, responders } = await open();
      const ids: Array<string | undefined> = [];
      await responders.serveQuote(
        async (request, context) => {
          ids.push(context.correlationId);
          return { price: 1, currency: request.currency };
        },
        { service: SERVICE },
      );
      const reply = await requester.request(
        'quoteRequests',
        { sku: 'ABC-1234', quantity: 1 },
        { correlationId: 'mine-1' },
      );
      expect(reply.correlationId).toBe('mine-1');
      expect(reply.messageHeaders).toEqual({ correlationId: 'mine-1' });
      expect(ids).toEqual(['mine-1']);
    });

    it('a request message without a headers schema carries the ids as plain AMQP headers', async () => {
      const { requesters, responders } = await open({
        noRequestHeaders: true,
        requesterNoRequestHeaders: true,
      });
      const seen: Array<{ property: string | undefined; header: unknown; replyTo: string | undefined }> = [];
      await responders.serveQuote(
        async (request, context) => {
          seen.push({
            property: context.correlationId,
            header: context.headers['correlationId'],
            replyTo: context.replyTo,
          });
          return { price: 3, currency: request.currency };
        },
        { service: SERVICE },
      );
      const reply = await requesters.requestQuote({ sku: 'ABC-1234', quantity: 1 }, { timeoutMs: 10_000 });
      expect(reply).toEqual({ price: 3, currency: 'EUR' });
      expect(seen).toHaveLength(1);
      expect(seen[0]?.header).toBe(seen[0]?.property);
      expect(seen[0]?.replyTo).toMatch(/^bb\.reply\./);
    });

    it('rejects with RequestTimeoutError when no reply comes in time, and forgets the request', async () => {
      const { requesters, responders, requester } = await open();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      let started = false;
      await responders.serveQuote(
        async (request) => {
          started = true;
          await gate;
          return { price: 2, currency: request.currency };
        },
        { service: SERVICE },
      );
      const error = await requesters.requestQuote({ sku: 'ABC-1234', quantity: 1 }, { timeoutMs: 300 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isRequestTimeoutError(error), String(error)).toBe(true);
      expect(requester.pending).toBe(0);
      await until(() => started);
      release();
    });

    it('rejects an invalid reply with its pointer and rule, never resolving with it', async () => {
      const { requesters, responders } = await open({ lenientReply: true });
      await responders.serveQuote(async () => ({ price: -5, currency: 'EUR' }), { service: SERVICE });
      const error = await requesters
        .requestQuote({ sku: 'ABC-1234', quantity: 1 }, { timeoutMs: 10_000 })
        .then(
          (r) => r,
          (e: unknown) => e,
        );
      expect(isPayloadValidationError(error), String(error)).toBe(true);
      const issues = (error as { issues: Array<{ pointer: string; rule: string }> }).issues;
      expect(issues).toContainEqual(
        expect.objectContaining({ pointer: '/payload/price', rule: 'exclusiveMinimum' }),
      );
    });

    it('refuses an invalid request before sending it, naming the field', async () => {
      const { requesters } = await open();
      const error = await requesters.requestQuote({ sku: 'nope', quantity: 1 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isPayloadValidationError(error)).toBe(true);
      expect((error as { issues: Array<{ pointer: string }> }).issues.map((i) => i.pointer)).toContain(
        '/payload/sku',
      );
    });

    it('dead-letters a request whose handler throws (after its attempts) or returns an invalid reply', async () => {
      const { requesters, responders } = await open();
      await responders.serveQuote(
        async (request) => {
          if (request.sku === 'ERR-0001') throw new Error('pricing service down');
          return { price: -1, currency: request.currency };
        },
        { service: SERVICE },
      );
      const outcomes = await Promise.allSettled([
        requesters.requestQuote({ sku: 'ERR-0001', quantity: 1 }, { timeoutMs: 1_500 }),
        requesters.requestQuote({ sku: 'BAD-0001', quantity: 1 }, { timeoutMs: 1_500 }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      const dead = await h!.deadLetters(2);
      expect(dead.map((d) => d.reason).sort()).toEqual(['max-attempts', 'not-retryable']);
      expect(dead.find((d) => d.reason === 'max-attempts')?.error).toContain('pricing service down');
      expect(dead.find((d) => d.reason === 'not-retryable')?.error).toMatch(/invalid reply.*payload\/price/);
    });

    it('dead-letters a request without a reply address, without calling the handler', async () => {
      const { sendRaw, responders } = await open({ noRequestHeaders: true });
      let called = false;
      await responders.serveQuote(
        async (request) => {
          called = true;
          return { price: 1, currency: request.currency };
        },
        { service: SERVICE },
      );
      await sendRaw('{"sku":"ABC-1234","quantity":1}');
      const dead = await h!.deadLetters(1);
      expect(dead.map((d) => d.reason)).toEqual(['not-retryable']);
      expect(dead[0]?.error).toMatch(/names no reply address/);
      expect(called).toBe(false);
    });
  });
}

describe('request/reply as RabbitMQ carries it', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  async function get(ch: Channel, queue: string): Promise<GetMessage> {
    const end = Date.now() + 10_000;
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (m) return m;
      if (Date.now() > end) throw new Error(`nothing on ${queue}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('the request: body = the payload JSON, correlation_id and reply_to set, and the headers the document names', async () => {
    h = await amqpHarness();
    const { requesters, queue } = h;
    const connection = await createConnection({
      url: RABBIT_URL,
      name: `bbtest-rpc-raw-${randomBytes(4).toString('hex')}`,
    });
    const ch = await connection.createChannel();
    try {
      await ch.assertQueue(queue, { durable: true });
      const reply = requesters.requestQuote({ sku: 'ABC-1234', quantity: 2 }, { timeoutMs: 10_000 });
      const m = await get(ch, queue);
      expect(m.content.toString('utf8')).toBe('{"sku":"ABC-1234","quantity":2,"currency":"EUR"}');
      const { correlationId, replyTo } = m.properties as { correlationId: string; replyTo: string };
      expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(replyTo).toMatch(/^bb\.reply\./);
      expect(m.properties.headers?.['correlationId']).toBe(correlationId);
      expect(m.properties.headers?.['replyTo']).toBe(replyTo);
      expect(m.properties.type).toBe('quote.request');
      // A plain AMQP responder: the reply's correlation id as the AMQP property only.
      ch.sendToQueue(replyTo as string, Buffer.from('{"price":4.5,"currency":"EUR"}'), {
        correlationId,
      });
      await expect(reply).resolves.toEqual({ price: 4.5, currency: 'EUR' });
    } finally {
      await ch.close().catch(() => undefined);
      await connection.close();
    }
  });

  it('the reply: body = the reply JSON, to reply_to, correlation id echoed as property and header', async () => {
    h = await amqpHarness();
    const { responders, queue } = h;
    await responders.serveQuote(async (request) => ({ price: request.quantity, currency: 'USD' }), {
      service: SERVICE,
    });
    const connection = await createConnection({
      url: RABBIT_URL,
      name: `bbtest-rpc-raw-${randomBytes(4).toString('hex')}`,
    });
    const ch = await connection.createChannel();
    try {
      const inbox = (await ch.assertQueue('', { exclusive: true })).queue;
      ch.sendToQueue(queue, Buffer.from('{"sku":"ABC-1234","quantity":3}'), {
        replyTo: inbox,
        correlationId: 'raw-7',
        headers: { replyTo: inbox, correlationId: 'raw-7' },
      });
      const m = await get(ch, inbox);
      expect(m.content.toString('utf8')).toBe('{"price":3,"currency":"USD"}');
      expect(m.properties.correlationId).toBe('raw-7');
      expect(m.properties.headers?.['correlationId']).toBe('raw-7');
      expect(m.fields.exchange).toBe('');
    } finally {
      await ch.close().catch(() => undefined);
      await connection.close();
    }
  });
});

describe('request/reply with a fixed reply address (fixture rpc-service), in memory', () => {
  it("answers to reply_to when the request names one, else on the reply channel's own address", async () => {
    const bus = createMemoryBus({ registry: serviceRegistry });
    const rpc = createRequestReply({ registry: serviceRegistry, publisher: bus, subscriber: bus });
    try {
      await createServiceResponders(rpc).serveCreateInvoice(
        async (request) => ({
          invoice_id: `inv-${request.request_id}`,
          request_id: request.request_id,
          customer: request.customer,
          total: 750,
        }),
        { service: 'billing' },
      );
      const request = {
        request_id: 'r-1',
        customer: { id: 'c-7' },
        lines: [{ sku: 'widget', quantity: 3, unit_price: 250 }],
        payment: { method: 'card' as const, last4: '4242' },
      };
      // A requester names its reply queue: the reply comes back to it.
      const reply = await rpc.request('billing.invoice.create', request, { timeoutMs: 5_000 });
      expect(reply.payload).toEqual({
        invoice_id: 'inv-r-1',
        request_id: 'r-1',
        customer: { id: 'c-7', email: null },
        total: 750,
        status: 'open',
      });
      // A request without reply_to: the reply is published on billing.invoice.created, the fixed address.
      const seen: string[] = [];
      await bus.subscribe('billing.invoice.created', (e) => void seen.push(e.payload.request_id), {
        service: 'audit',
      });
      const sent = await bus.publish('billing.invoice.create', { ...request, request_id: 'r-2' });
      await until(() => seen.length === 1);
      expect(seen).toEqual(['r-2']);
      const fact = bus.published('billing.invoice.created').find((e) => e.payload.request_id === 'r-2');
      expect(fact?.correlation_ids).toEqual([sent.eventId]);
    } finally {
      await rpc.close();
      await bus.close();
    }
  });
});
