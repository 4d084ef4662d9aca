/**
 * Which exchanges events travel through, and what the publisher declares on every (re)connection.
 *
 * Precedence (a user who sets an exchange means "everything goes here"):
 * 1. an explicit exchange (`EXCHANGE_NAME` set in the environment, or the `exchange` option of
 *    `createPublisher` / `createSubscriber`) carries every event;
 * 2. otherwise each event goes through the exchange its channel's AMQP binding names (the registry
 *    entry's `exchange`, from `bindings.amqp.exchange` in the AsyncAPI document);
 * 3. otherwise through `bloodbank.events.v1` (topic, durable), as the original did.
 * Queues belong to consumers.
 *
 * Channels of documents we did not write (delivery/address.ts) bind their address, not the subscription
 * pattern (which selects registry keys, i.e. channel ids); a channel served by MQTT travels through
 * `amq.topic` and one bound as a queue through the default exchange, whatever exchange is set: the
 * protocol fixes those. Neither is ever declared (RabbitMQ refuses to declare `amq.*` and the default).
 */
import type { Channel } from 'amqplib';
import { topicMatches } from '../delivery/topic.js';
import { MQTT_EXCHANGE, bindingPlan } from '../delivery/address.js';
import type { Catalog, EventDefinition, ExchangeBinding, Registry } from '../registry.js';

import { DEFAULT_EXCHANGE } from '../delivery/rules.js';

export { DEFAULT_EXCHANGE };
export const EXCHANGE_TYPE = 'topic';

/** Declare (idempotently) the topic exchange events are published to. Fails 406 if it exists with another type. */
export async function assertEventExchange(channel: Channel, exchange: string): Promise<void> {
  await channel.assertExchange(exchange, EXCHANGE_TYPE, { durable: true });
}

/** Declare (idempotently) an exchange as its binding describes it. Fails 406 if it exists otherwise. */
export async function assertExchangeBinding(channel: Channel, exchange: ExchangeBinding): Promise<void> {
  await channel.assertExchange(exchange.name, exchange.type, { durable: exchange.durable });
}

/** One exchange a queue is bound to, with its binding keys. */
export interface QueueBinding {
  readonly exchange: ExchangeBinding;
  readonly keys: readonly string[];
}

/** Where RabbitMQ's MQTT plugin publishes (and binds its subscriptions). */
export const MQTT_EXCHANGE_BINDING: ExchangeBinding = { name: MQTT_EXCHANGE, type: 'topic', durable: true };
/** The default exchange (`''`): routes to the queue named by the routing key. */
export const DEFAULT_EXCHANGE_BINDING: ExchangeBinding = { name: '', type: 'direct', durable: true };

/** Exchanges the broker predeclares (and refuses to let clients declare). */
export function isPredeclared(name: string): boolean {
  return name === '' || name.startsWith('amq.');
}

/** What a subscription of foreign channels binds, and whether the pipeline must filter what it lets in. */
export interface SubscriptionTopology {
  readonly bindings: readonly QueueBinding[];
  /** Some binding is wider than its address (`#`): drop deliveries that are not a subscribed address. */
  readonly filter: boolean;
  /** The channels are bound as a queue (`is: queue`): consume that queue. */
  readonly queue: Extract<EventDefinition['delivery'], { is: 'queue' }>['queue'] | null;
}

/** Where the events of one registry travel (see the precedence above). */
export interface ExchangeRouter {
  /** The exchange of events whose channel names none; the only one when `explicit`. */
  readonly fallback: ExchangeBinding;
  readonly explicit: boolean;
  /** The exchange events of `key` are published to. */
  exchangeOf(key: string): ExchangeBinding;
  /** Every exchange a publisher may send to (declared on each connection), the fallback first. */
  all(): readonly ExchangeBinding[];
  /**
   * What a queue subscribing to `patterns` binds: on a topic exchange the pattern itself, on another
   * type each routing key of the registry the pattern matches. The fallback exchange is bound for a
   * pattern that matches an event without a binding exchange, or no event of the registry at all.
   */
  bindingsFor(patterns: readonly string[]): readonly QueueBinding[];
  /** `bindingsFor`, with the foreign channels' addresses (`pinned`: values of their placeholders). */
  topologyFor(patterns: readonly string[], pinned?: Readonly<Record<string, string>>): SubscriptionTopology;
}

export function createExchangeRouter<M extends Catalog>(
  registry: Registry<M>,
  exchange: string | undefined,
): ExchangeRouter {
  const fallback: ExchangeBinding = {
    name: exchange ?? DEFAULT_EXCHANGE,
    type: EXCHANGE_TYPE,
    durable: true,
  };
  const explicit = exchange !== undefined;
  const exchangeOfDefinition = (d: EventDefinition | undefined): ExchangeBinding => {
    if (d?.delivery?.is === 'mqtt') return MQTT_EXCHANGE_BINDING;
    if (d?.delivery?.is === 'queue') return DEFAULT_EXCHANGE_BINDING;
    return explicit ? fallback : (d?.exchange ?? fallback);
  };
  const exchangeOf = (key: string): ExchangeBinding => exchangeOfDefinition(registry.get(key));
  const ourBindings = (patterns: readonly string[]): QueueBinding[] => {
    if (explicit) return [{ exchange: fallback, keys: patterns }];
    const keysByExchange = new Map<string, { exchange: ExchangeBinding; keys: Set<string> }>();
    const bind = (ex: ExchangeBinding, key: string): void => {
      const entry = keysByExchange.get(ex.name) ?? { exchange: ex, keys: new Set<string>() };
      entry.keys.add(key);
      keysByExchange.set(ex.name, entry);
    };
    for (const pattern of patterns) {
      const matched = registry.list().filter((d) => topicMatches(pattern, d.key));
      if (matched.length === 0 || matched.some((d) => !d.exchange)) bind(fallback, pattern);
      for (const d of matched) {
        if (!d.exchange) continue;
        bind(d.exchange, d.exchange.type === 'topic' ? pattern : d.key);
      }
    }
    return [...keysByExchange.values()].map(({ exchange: ex, keys }) => ({
      exchange: ex,
      keys: [...keys],
    }));
  };
  const topologyFor = (
    patterns: readonly string[],
    pinned?: Readonly<Record<string, string>>,
  ): SubscriptionTopology => {
    const plan = bindingPlan(registry.list(), patterns, topicMatches, pinned);
    if (plan.keys.every((k) => k.definition === null))
      return { bindings: plan.queue ? [] : ourBindings(patterns), filter: false, queue: plan.queue };
    const rest = plan.keys.filter((k) => k.definition === null).map((k) => k.key);
    const byExchange = new Map<string, { exchange: ExchangeBinding; keys: Set<string> }>();
    for (const b of rest.length > 0 ? ourBindings(rest) : [])
      byExchange.set(b.exchange.name, { exchange: b.exchange, keys: new Set(b.keys) });
    for (const { key, definition } of plan.keys) {
      if (!definition) continue;
      const ex = exchangeOfDefinition(definition);
      const entry = byExchange.get(ex.name) ?? { exchange: ex, keys: new Set<string>() };
      entry.keys.add(key);
      byExchange.set(ex.name, entry);
    }
    return {
      bindings: [...byExchange.values()].map(({ exchange: ex, keys }) => ({ exchange: ex, keys: [...keys] })),
      filter: plan.filter,
      queue: null,
    };
  };
  return {
    fallback,
    explicit,
    exchangeOf,
    all() {
      const byName = new Map<string, ExchangeBinding>([[fallback.name, fallback]]);
      for (const d of registry.list()) {
        const ex = exchangeOfDefinition(d);
        if (!isPredeclared(ex.name)) byName.set(ex.name, ex);
      }
      return [...byName.values()];
    },
    bindingsFor: (patterns) => topologyFor(patterns).bindings,
    topologyFor,
  };
}

/**
 * Make sure the exchange exists, on channels of its own: declared when the user may configure it, else
 * (403, a least-privilege user of `bb broker definitions`, which may not redeclare the exchange) checked
 * passively, which needs no permission. Throws when it is missing and cannot be declared.
 */
export async function ensureEventExchange(
  connection: { createChannel(): Promise<Channel> },
  exchange: string | ExchangeBinding,
): Promise<void> {
  const binding: ExchangeBinding =
    typeof exchange === 'string' ? { name: exchange, type: EXCHANGE_TYPE, durable: true } : exchange;
  if (isPredeclared(binding.name)) return;
  const attempt = async (use: (ch: Channel) => Promise<unknown>): Promise<void> => {
    const ch = await connection.createChannel();
    ch.on('error', () => {});
    try {
      await use(ch);
    } finally {
      await ch.close().catch(() => {});
    }
  };
  try {
    await attempt((ch) => assertExchangeBinding(ch, binding));
  } catch (error) {
    if ((error as { code?: number }).code !== 403) throw error;
    try {
      await attempt((ch) => ch.checkExchange(binding.name));
    } catch (missing) {
      throw new Error(
        `exchange ${binding.name} does not exist and this user may not declare it (${(error as Error).message}); ` +
          'create it with `bb broker apply`',
        { cause: missing },
      );
    }
  }
}
