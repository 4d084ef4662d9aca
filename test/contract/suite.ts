/**
 * The transport contract suite (Watermill's universal pub/sub tests, FastStream's "the fake passes the
 * real broker's tests"): every transport — RabbitMQ and the in-memory bus — runs these same cases.
 * Each test has its own services (and, on RabbitMQ, its own exchange); assertions compare SETS of
 * event ids and report what is missing and what is extra.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventPublisher, EventSubscriber, MessageContext, Subscription } from '../../runtime/bus.js';
import type { Envelope } from '../../runtime/envelope.js';
import { NonRetryableError } from '../../runtime/errors/non-retryable-error.js';
import { isUnroutableError } from '../../runtime/errors/unroutable-error.js';
import {
  createMemoryIdempotency,
  type DeadLetterRecord,
  type IdempotencyGate,
} from '../../runtime/delivery/rules.js';
import { createMetrics, type BloodbankMetrics } from '../../runtime/metrics.js';
import type { ContractCatalog, ItemPayload } from '../support/contract-registry.js';

export interface ContractHarness {
  readonly publisher: EventPublisher<ContractCatalog>;
  readonly subscriber: EventSubscriber<ContractCatalog>;
  /** A service name unique to this test (cleaned up by `close`). */
  service(label: string): string;
  /** Raw bytes on the bus under a routing key, bypassing publish validation. */
  publishRaw(routingKey: string, body: string): Promise<void>;
  /** The service's dead letters, oldest first (left in place). */
  deadLetters(service: string): Promise<DeadLetterRecord[]>;
  /** Ready messages in the service's queue (null when the transport cannot tell). */
  depth(service: string): Promise<number | null>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly retry: { readonly maxAttempts: number; readonly delaysMs: readonly number[] };
  /** The subscriber's idempotency store (default: the transport's own). */
  readonly idempotency?: IdempotencyGate;
  readonly metrics?: BloodbankMetrics;
  /** Build the registry as a document we did not write describes it: the bare wire (delivery/bare.ts). */
  readonly bare: boolean;
}

export interface ContractFeatures {
  /** How long to wait for deliveries before reporting what is missing. */
  readonly deliveryTimeoutMs: number;
  /** How long to keep listening after the expected set arrived, to catch extras and duplicates. */
  readonly quietMs: number;
  /** Timer slack allowed below a backoff delay (the broker expires TTLs in batches). */
  readonly backoffSlackMs: number;
  /**
   * `bare`: the registry is a foreign document's (channel ids, addresses): bodies are bare payloads, the
   * envelope rebuilt from AMQP properties. Default `envelope` (our catalogue's wire).
   */
  readonly wire?: 'envelope' | 'bare';
}

export type HarnessFactory = (options: HarnessOptions) => Promise<ContractHarness>;

const RETRY = { maxAttempts: 3, delaysMs: [50, 100] } as const;

/** Received ids compared with the expected set. */
export function diffIds(expected: Iterable<string>, received: readonly string[]) {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  for (const id of received) seen.set(id, (seen.get(id) ?? 0) + 1);
  return {
    missing: [...want].filter((id) => !seen.has(id)).sort(),
    extra: [...seen.keys()].filter((id) => !want.has(id)).sort(),
    duplicated: [...seen]
      .filter(([id, n]) => want.has(id) && n > 1)
      .map(([id]) => id)
      .sort(),
  };
}

const NONE = { missing: [], extra: [], duplicated: [] };

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check() && Date.now() < end) await sleep(10);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Handler recording every envelope it sees. */
function recorder() {
  const events: Envelope<string, ItemPayload>[] = [];
  const contexts: MessageContext[] = [];
  return {
    events,
    contexts,
    ids: () => events.map((e) => e.event_id),
    handler: (e: Envelope<string, ItemPayload>, c: MessageContext) => {
      events.push(e);
      contexts.push(c);
    },
  };
}

export function defineTransportContract(
  name: string,
  factory: HarnessFactory,
  features: ContractFeatures,
): void {
  const bare = features.wire === 'bare';
  describe(`transport contract: ${name}${bare ? ' (bare wire)' : ''}`, () => {
    let h: ContractHarness;
    const subs: Subscription[] = [];
    const { deliveryTimeoutMs, quietMs } = features;

    beforeEach(async () => {
      h = await factory({ retry: RETRY, bare });
    });
    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.close()));
      await h.close();
    });

    async function expectExactly(expected: readonly string[], received: () => readonly string[]) {
      await until(() => new Set(received()).size >= new Set(expected).size, deliveryTimeoutMs);
      await sleep(quietMs);
      expect(diffIds(expected, received())).toEqual(NONE);
    }

    /** The service's dead letters once at least `count` are there (or the delivery timeout passed). */
    async function deadLettersOf(service: string, count: number): Promise<DeadLetterRecord[]> {
      let dead: DeadLetterRecord[] = [];
      const end = Date.now() + deliveryTimeoutMs;
      while (dead.length < count && Date.now() < end) {
        await sleep(50);
        dead = await h.deadLetters(service);
      }
      return dead;
    }

    it('delivers exactly the published set of events to a subscriber', async () => {
      const service = h.service('pubsub');
      const r = recorder();
      subs.push(await h.subscriber.subscribe('contract.item.created', r.handler, { service }));
      const receipts = await Promise.all(
        Array.from({ length: 50 }, (_, n) => h.publisher.publish('contract.item.created', { n })),
      );
      // Not bound by this service: must not arrive.
      await h.publisher.publish('contract.item.deleted', { n: 1 }, { mandatory: false });
      await expectExactly(
        receipts.map((x) => x.eventId),
        r.ids,
      );
      expect(r.events.every((e) => e.event_type === 'contract.item.created' && e.payload.note === '')).toBe(
        true,
      );
    });

    it('gives each service its own copy and shares one service between competing subscribers', async () => {
      const a = h.service('copy-a');
      const b = h.service('copy-b');
      const ra = recorder();
      const rb1 = recorder();
      const rb2 = recorder();
      subs.push(await h.subscriber.subscribe('contract.item.created', ra.handler, { service: a }));
      subs.push(await h.subscriber.subscribe('contract.item.created', rb1.handler, { service: b }));
      subs.push(await h.subscriber.subscribe('contract.item.created', rb2.handler, { service: b }));
      const ids = (
        await Promise.all(
          Array.from({ length: 40 }, (_, n) => h.publisher.publish('contract.item.created', { n })),
        )
      ).map((x) => x.eventId);
      await expectExactly(ids, ra.ids);
      await expectExactly(ids, () => [...rb1.ids(), ...rb2.ids()]);
      expect(rb1.events.length).toBeGreaterThan(0);
      expect(rb2.events.length).toBeGreaterThan(0);
    });

    it('matches topic patterns: `#` zero or more words (a.# matches a), `*` exactly one', async () => {
      const hash = h.service('hash');
      const star = h.service('star');
      const mid = h.service('mid');
      const rHash = recorder();
      const rStar = recorder();
      const rMid = recorder();
      subs.push(await h.subscriber.subscribe('contract.item.#', rHash.handler, { service: hash }));
      subs.push(await h.subscriber.subscribe('contract.item.*', rStar.handler, { service: star }));
      subs.push(await h.subscriber.subscribe('contract.*.created', rMid.handler, { service: mid }));
      const keys = [
        'contract.item',
        'contract.item.created',
        'contract.item.deleted',
        'contract.item.created.v2',
        'contract.other.created',
      ] as const;
      const byKey = new Map<string, string>();
      for (const key of keys) byKey.set(key, (await h.publisher.publish(key, { n: 1 })).eventId);
      const idsOf = (...ks: string[]) => ks.map((k) => byKey.get(k) as string);
      await expectExactly(
        idsOf('contract.item', 'contract.item.created', 'contract.item.deleted', 'contract.item.created.v2'),
        rHash.ids,
      );
      await expectExactly(idsOf('contract.item.created', 'contract.item.deleted'), rStar.ids);
      await expectExactly(idsOf('contract.item.created', 'contract.other.created'), rMid.ids);
    });

    it('acks handled events: a later subscriber of the same service receives nothing again', async () => {
      const service = h.service('ack');
      const r = recorder();
      const sub = await h.subscriber.subscribe('contract.item.created', r.handler, { service, prefetch: 5 });
      const ids = (
        await Promise.all(
          Array.from({ length: 10 }, (_, n) => h.publisher.publish('contract.item.created', { n })),
        )
      ).map((x) => x.eventId);
      await expectExactly(ids, r.ids);
      await sub.close();
      const again = recorder();
      subs.push(await h.subscriber.subscribe('contract.item.created', again.handler, { service }));
      await sleep(quietMs);
      expect(again.ids()).toEqual([]);
      expect(await h.depth(service)).toBe(0 as number | null);
      expect(await h.deadLetters(service)).toEqual([]);
    });

    it('retries a failing handler with backoff, then dead-letters it with error headers', async () => {
      const service = h.service('retry');
      const seen: Array<{ attempt: number; at: number }> = [];
      subs.push(
        await h.subscriber.subscribe(
          'contract.item.created',
          (_e, c) => {
            seen.push({ attempt: c.attempt, at: Date.now() });
            throw new Error(`boom ${c.attempt} ${'x'.repeat(10_000)}`);
          },
          { service },
        ),
      );
      const { eventId } = await h.publisher.publish('contract.item.created', { n: 7 });
      const dead = await deadLettersOf(service, 1);
      expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
      const [first, second, third] = seen as unknown as [{ at: number }, { at: number }, { at: number }];
      expect(second.at - first.at).toBeGreaterThanOrEqual(RETRY.delaysMs[0] - features.backoffSlackMs);
      expect(third.at - second.at).toBeGreaterThanOrEqual(RETRY.delaysMs[1] - features.backoffSlackMs);
      expect(dead).toHaveLength(1);
      const d = dead[0] as DeadLetterRecord;
      expect(d.eventId).toBe(eventId);
      expect(d.routingKey).toBe('contract.item.created');
      expect(d.reason).toBe('max-attempts');
      expect(d.attempts).toBe(3);
      expect(d.error).toMatch(/^Error: boom 3 x+…$/);
      expect(Buffer.byteLength(d.error as string)).toBeLessThanOrEqual(4096);
      const firstAt = Date.parse(d.firstFailureAt as string);
      const lastAt = Date.parse(d.lastFailureAt as string);
      expect(lastAt - firstAt).toBeGreaterThanOrEqual(
        RETRY.delaysMs[0] + RETRY.delaysMs[1] - 2 * features.backoffSlackMs,
      );
      expect(Math.abs(firstAt - first.at)).toBeLessThan(1_000);
      expect(Math.abs(lastAt - third.at)).toBeLessThan(1_000);
    });

    it('an error marked retryable: false is dead-lettered at once, without retries', async () => {
      const service = h.service('final');
      const attempts: number[] = [];
      subs.push(
        await h.subscriber.subscribe(
          'contract.item.created',
          (_e, c) => {
            attempts.push(c.attempt);
            throw new NonRetryableError('the order does not exist');
          },
          { service },
        ),
      );
      const { eventId } = await h.publisher.publish('contract.item.created', { n: 3 });
      const dead = await deadLettersOf(service, 1);
      expect(dead).toHaveLength(1);
      const d = dead[0] as DeadLetterRecord;
      expect(d.eventId).toBe(eventId);
      expect(d.reason).toBe('not-retryable');
      expect(d.attempts).toBe(1);
      expect(d.error).toMatch(/the order does not exist/);
      // No retry was scheduled: nothing arrives after the first attempt.
      await sleep(RETRY.delaysMs[0] + features.backoffSlackMs + 200);
      expect(attempts).toEqual([1]);
    });

    it('a handler that fails once succeeds on the retry and nothing is dead-lettered', async () => {
      const service = h.service('retry-ok');
      const attempts: number[] = [];
      const done: string[] = [];
      subs.push(
        await h.subscriber.subscribe(
          'contract.item.created',
          (e, c) => {
            attempts.push(c.attempt);
            if (c.attempt === 1) throw new Error('transient');
            done.push(e.event_id);
          },
          { service },
        ),
      );
      const { eventId } = await h.publisher.publish('contract.item.created', { n: 1 });
      await expectExactly([eventId], () => done);
      expect(attempts).toEqual([1, 2]);
      expect(await h.deadLetters(service)).toEqual([]);
    });

    it('dead-letters unparsable, unknown and invalid messages with the reason, and goes on consuming', async () => {
      const service = h.service('invalid');
      const r = recorder();
      subs.push(await h.subscriber.subscribe('contract.item.*', r.handler, { service }));
      const valid = (await h.publisher.publish('contract.item.created', { n: 1 })).eventId;
      const invalidId = '00000000-0000-4000-8000-000000000001';
      await h.publishRaw('contract.item.created', '{not json');
      await h.publishRaw(
        'contract.item.created',
        JSON.stringify(envelopeOf(invalidId, 'contract.item.created', { n: -1 })),
      );
      await h.publishRaw(
        'contract.item.unknown',
        JSON.stringify(envelopeOf('00000000-0000-4000-8000-000000000002', 'contract.item.unknown', { n: 1 })),
      );
      const after = (await h.publisher.publish('contract.item.deleted', { n: 2 })).eventId;
      await expectExactly([valid, after], r.ids);
      // Bare wire: the queue binds the channels' addresses, so a key that is no address never arrives.
      const reasons = bare
        ? ['unparsable', 'validation']
        : ['unknown-event-type', 'unparsable', 'validation'];
      const dead = await deadLettersOf(service, reasons.length);
      expect(dead.map((d) => d.reason).sort()).toEqual(reasons);
      const invalid = dead.find((d) => d.reason === 'validation') as DeadLetterRecord;
      expect(invalid.eventId).toBe(invalidId);
      expect(String(invalid.headers['bb-validation-issues'])).toContain('/payload/n');
      expect(invalid.error).toContain('payload/n');
      expect(dead.find((d) => d.reason === 'unparsable')?.body).toBe('{not json');
    });

    it('refuses a second subscription of the same service for other patterns; the same patterns compete', async () => {
      const service = h.service('one-set');
      subs.push(
        await h.subscriber.subscribe(['contract.item.created', 'contract.item.deleted'], recorder().handler, {
          service,
        }),
      );
      await expect(
        h.subscriber.subscribe('contract.other.created', recorder().handler, { service }),
      ).rejects.toThrow(
        /is already consumed for contract\.item\.created contract\.item\.deleted; a second subscription for contract\.other\.created/,
      );
      // The same set, in another order: a competing consumer.
      subs.push(
        await h.subscriber.subscribe(['contract.item.deleted', 'contract.item.created'], recorder().handler, {
          service,
        }),
      );
    });

    it('dead-letters an event its patterns do not match (a binding left by an earlier version) as not-subscribed', async () => {
      const service = h.service('stale');
      const before = await h.subscriber.subscribe('contract.item.#', recorder().handler, { service });
      await before.close();
      // The new version handles contract.item.created only; the queue keeps the contract.item.# binding.
      const r = recorder();
      subs.push(await h.subscriber.subscribe('contract.item.created', r.handler, { service }));
      const wanted = (await h.publisher.publish('contract.item.created', { n: 1 })).eventId;
      const stale = (await h.publisher.publish('contract.item.deleted', { n: 2 })).eventId;
      await expectExactly([wanted], r.ids);
      const dead = await deadLettersOf(service, 1);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ eventId: stale, reason: 'not-subscribed' });
      expect(dead[0]?.error).toContain(
        'contract.item.deleted matches none of the patterns contract.item.created',
      );
    });

    it('handles a republished event once when the subscription is idempotent', async () => {
      const service = h.service('idem');
      const r = recorder();
      subs.push(
        await h.subscriber.subscribe('contract.item.created', r.handler, { service, idempotent: true }),
      );
      const ids = Array.from(
        { length: 5 },
        (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      );
      for (const eventId of [...ids, ...ids, ids[0] as string])
        await h.publisher.publish('contract.item.created', { n: 1 }, { eventId });
      await expectExactly(ids, r.ids);
    });

    it('calls the duplicate hook and counts a duplicate for an event the service already handled', async () => {
      const metrics = createMetrics();
      const own = await factory({ retry: RETRY, metrics, bare });
      try {
        const service = own.service('dup');
        const r = recorder();
        const duplicates: Array<{ id: string; attempt: number }> = [];
        const sub = await own.subscriber.subscribe('contract.item.created', r.handler, {
          service,
          idempotent: true,
          onDuplicate: (e, c) => {
            duplicates.push({ id: e.event_id, attempt: c.attempt });
          },
        });
        const eventId = '00000000-0000-4000-8000-00000000d0b1';
        await own.publisher.publish('contract.item.created', { n: 1 }, { eventId });
        await until(() => r.events.length === 1, deliveryTimeoutMs);
        await own.publisher.publish('contract.item.created', { n: 1 }, { eventId });
        await until(() => duplicates.length === 1, deliveryTimeoutMs);
        await sleep(quietMs);
        expect(r.ids()).toEqual([eventId]);
        expect(duplicates).toEqual([{ id: eventId, attempt: 1 }]);
        const counted = (await metrics.deduplicated.get()).values.find(
          (v) => v.labels['service'] === service,
        );
        expect(counted?.value).toBe(1);
        await sub.close();
      } finally {
        await own.close();
      }
    });

    it('renews the idempotency lease while a handler runs longer than the lease, and handles it once', async () => {
      const inner = createMemoryIdempotency();
      const renewals: string[] = [];
      const gate: IdempotencyGate = {
        begin: (service, id) => inner.begin(service, id),
        complete: (service, id) => inner.complete(service, id),
        release: (service, id) => inner.release(service, id),
        leaseMs: 300,
        renew: (_service, id) => {
          renewals.push(id);
          return Promise.resolve(true);
        },
      };
      const own = await factory({ retry: RETRY, idempotency: gate, bare });
      try {
        const service = own.service('lease');
        const handled: string[] = [];
        const sub = await own.subscriber.subscribe(
          'contract.item.created',
          async (e: Envelope<string, ItemPayload>) => {
            // The handler outlives the lease: it returns only once the lease was renewed twice.
            await until(() => renewals.length >= 2, deliveryTimeoutMs);
            handled.push(e.event_id);
          },
          { service, idempotent: true },
        );
        const receipt = await own.publisher.publish('contract.item.created', { n: 1 });
        await until(() => handled.length === 1, deliveryTimeoutMs);
        expect(handled).toEqual([receipt.eventId]);
        expect(renewals.length).toBeGreaterThanOrEqual(2);
        expect(new Set(renewals)).toEqual(new Set([receipt.eventId]));
        await sub.close();
      } finally {
        await own.close();
      }
    });

    it('keeps publish order on one queue with concurrency 1 and no retries', async () => {
      const service = h.service('order');
      const r = recorder();
      subs.push(
        await h.subscriber.subscribe('contract.item.created', r.handler, {
          service,
          concurrency: 1,
          prefetch: 20,
        }),
      );
      const receipts = await Promise.all(
        Array.from({ length: 200 }, (_, n) => h.publisher.publish('contract.item.created', { n })),
      );
      await expectExactly(
        receipts.map((x) => x.eventId),
        r.ids,
      );
      expect(r.events.map((e) => e.payload.n)).toEqual(receipts.map((_, n) => n));
    });

    it('close while consuming loses nothing and dead-letters nothing', async () => {
      const service = h.service('close');
      const handled: string[] = [];
      const slow = async (e: Envelope) => {
        await sleep(5);
        handled.push(e.event_id);
      };
      const sub = await h.subscriber.subscribe('contract.item.created', slow, {
        service,
        prefetch: 10,
        concurrency: 2,
      });
      const ids = (
        await Promise.all(
          Array.from({ length: 60 }, (_, n) => h.publisher.publish('contract.item.created', { n })),
        )
      ).map((x) => x.eventId);
      await until(() => handled.length >= 10, deliveryTimeoutMs);
      await sub.close();
      const atClose = handled.length;
      expect(atClose).toBeLessThan(ids.length);
      await sleep(50);
      expect(handled.length).toBe(atClose); // nothing handled after close() resolved
      subs.push(await h.subscriber.subscribe('contract.item.created', slow, { service }));
      await expectExactly(ids, () => handled);
      expect(await h.deadLetters(service)).toEqual([]);
    });

    it('rejects a publish no queue is bound for (UnroutableError)', async () => {
      const error = await h.publisher.publish('contract.other.created', { n: 1 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isUnroutableError(error)).toBe(true);
      await expect(
        h.publisher.publish('contract.other.created', { n: 1 }, { mandatory: false }),
      ).resolves.toMatchObject({
        eventType: 'contract.other.created',
      });
    });

    it('rejects an invalid payload before anything is sent', async () => {
      const service = h.service('badpub');
      const r = recorder();
      subs.push(await h.subscriber.subscribe('contract.item.created', r.handler, { service }));
      await expect(
        h.publisher.publish('contract.item.created', { n: -5 } as unknown as { n: number }),
      ).rejects.toMatchObject({ name: 'PayloadValidationError' });
      await sleep(quietMs);
      expect(r.ids()).toEqual([]);
    });
  });
}

function envelopeOf(eventId: string, eventType: string, payload: unknown) {
  return {
    event_id: eventId,
    event_type: eventType,
    timestamp: '2026-11-26T16:15:23.030243+00:00',
    version: '1.0.0',
    source: { host: 'test', type: 'manual', app: 'contract', meta: null },
    correlation_ids: [],
    agent_context: null,
    payload,
  };
}
