/**
 * Wire encoding for the publisher: what one accepted envelope becomes on the wire — body, the
 * `channel.publish` options in one fixed shape, and the method fields the fast path sends
 * (fast-publish.ts), with the exchange and routing key chosen by amqp/topology.ts.
 *
 * Two wires (DESIGN.md §6): the envelope wire of our catalogue (wire.ts; the key is the routing key), and
 * the bare wire of registries without our envelope (delivery/bare.ts; the routing key is the channel's
 * address filled with its parameters, checked by `prepare` before anything is accepted).
 */
import type { Options } from 'amqplib';
import type { PublishOptions } from '../bus.js';
import type { Envelope } from '../envelope.js';
import type { Registry } from '../registry.js';
import { encodeMessage } from '../wire.js';
import { encodeBare, isBare, routeBare, type BareRoute } from '../delivery/bare.js';
import { publishFields, type PublishFields } from './fast-publish.js';
import type { ExchangeRouter } from './topology.js';

/** One message ready to send (and to send again after a reconnect or a nack). */
export interface Outbound {
  readonly body: Buffer;
  /** `channel.publish` options, built once (fixed shape), reused on republish. */
  readonly publishOptions: Options.Publish;
  /** The same, as the method fields and properties amqplib sends (fast-publish.ts). */
  readonly fields: PublishFields;
}

export interface OutboundEncoder {
  /** Whether messages travel bare (registry without our envelope). */
  readonly bare: boolean;
  /**
   * Bare wire: fill the address and validate the message headers of `eventType` (throws
   * `PayloadValidationError`, nothing sent). Envelope wire: null.
   */
  prepare(eventType: string, payload: unknown, options: PublishOptions): BareRoute | null;
  encode(
    envelope: Envelope,
    options: PublishOptions,
    ordered: boolean,
    workflowId: string,
    mandatory: boolean,
    route: BareRoute | null,
  ): Outbound;
}

export function createOutboundEncoder(registry: Registry, exchanges: ExchangeRouter): OutboundEncoder {
  const bare = isBare(registry);
  return {
    bare,
    prepare(eventType, payload, options) {
      if (!bare) return null;
      return routeBare(registry.require(eventType), payload, options);
    },
    encode(envelope, options, ordered, workflowId, mandatory, route) {
      const key = envelope.event_type;
      if (route) {
        const message = encodeBare(
          envelope,
          route,
          options.headers ? { workflowId, headers: options.headers } : { workflowId },
        );
        const p = message.properties;
        const sendOptions = fixedShape(mandatory, p.persistent, p, p.headers);
        return {
          body: message.body,
          publishOptions: sendOptions,
          // A reply to `reply_to` goes to that queue through the default exchange.
          fields: publishFields(
            route.toQueue ? '' : exchanges.exchangeOf(key).name,
            route.routingKey,
            sendOptions,
          ),
        };
      }
      const message = encodeMessage(
        envelope,
        options.headers ? { workflowId, ordered, headers: options.headers } : { workflowId, ordered },
      );
      const p = message.properties;
      const sendOptions = fixedShape(mandatory, true, p, p.headers);
      return {
        body: message.body,
        publishOptions: sendOptions,
        fields: publishFields(exchanges.exchangeOf(key).name, key, sendOptions),
      };
    },
  };
}

interface PropertiesLike {
  readonly messageId: string;
  readonly contentType: string;
  readonly contentEncoding: string;
  readonly type: string;
  readonly timestamp: number;
  readonly appId?: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
  readonly expiration?: number;
  readonly priority?: number;
}

/** The options of `channel.publish`, in one fixed shape (every object the same hidden class). */
function fixedShape(
  mandatory: boolean,
  persistent: boolean,
  p: PropertiesLike,
  headers: Record<string, unknown>,
): Options.Publish {
  return {
    mandatory,
    persistent,
    messageId: p.messageId,
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    type: p.type,
    timestamp: p.timestamp,
    // Always present so every options object has one shape; amqplib omits an undefined property.
    appId: p.appId as string,
    correlationId: p.correlationId as string,
    replyTo: p.replyTo as string,
    expiration: p.expiration as number,
    priority: p.priority as number,
    headers,
  };
}
