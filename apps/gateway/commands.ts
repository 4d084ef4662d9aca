/**
 * The gateway's adapter to the command requester (runtime/commands: request/reply over direct
 * reply-to). Loaded on the first `?wait=true` request and sharing the gateway publisher's connection.
 */
import type { Logger } from 'pino';
import type { Publisher } from 'bloodbank/amqp/publisher.js';
import type { AgentContextInput, Envelope, SourceInput } from 'bloodbank/envelope.js';
import type { BloodbankMetrics } from 'bloodbank/metrics.js';
import { createRequester } from 'bloodbank/commands/index.js';
import type { Registry } from 'bloodbank/registry.js';

export interface CommandRequestOptions {
  readonly timeoutMs: number;
  readonly parentIds?: readonly string[];
  readonly agentContext?: AgentContextInput | null;
  readonly source?: SourceInput;
  readonly commandId?: string;
}

/** The part of runtime/commands' `Requester` the gateway uses. */
export interface CommandRequester {
  request(
    key: string,
    payload: unknown,
    options: CommandRequestOptions,
  ): Promise<{ reply: Envelope; commandId: string }>;
  close(): Promise<void>;
}

export function loadRequester(options: {
  registry: Registry;
  publisher: Publisher;
  exchange: string;
  logger: Logger;
  metrics: BloodbankMetrics;
}): Promise<CommandRequester> {
  const requester = createRequester({
    registry: options.registry,
    publisher: options.publisher,
    exchange: options.exchange,
    logger: options.logger,
    metrics: options.metrics,
  });
  return Promise.resolve({
    // The registry is untyped here (any catalogue): the key is a command of it, checked by the route.
    request: (key, payload, requestOptions) =>
      (requester.request as unknown as CommandRequester['request'])(key, payload, requestOptions),
    close: () => requester.close(),
  });
}

/** The command errors the gateway maps, by their `name` discriminant. */
export function commandErrorName(error: unknown): string | null {
  return error instanceof Error ? error.name : null;
}
