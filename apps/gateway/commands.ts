/**
 * The gateway's adapter to the command requester (runtime/commands: request/reply over direct
 * reply-to). Loaded on the first `?wait=true` request and sharing the gateway publisher's connection.
 */
import type { Logger } from 'pino';
import type { Publisher } from '../../runtime/amqp/publisher.js';
import type { AgentContextInput, Envelope, SourceInput } from '../../runtime/envelope.js';
import type { BloodbankMetrics } from '../../runtime/metrics.js';
import type { Registry } from '../../runtime/registry.js';

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

interface RequesterModule {
  createRequester(options: {
    registry: Registry;
    publisher: { readonly connection: Publisher['connection'] };
    exchange: string;
    logger: Logger;
    metrics: BloodbankMetrics;
  }): CommandRequester;
}

export async function loadRequester(options: {
  registry: Registry;
  publisher: Publisher;
  exchange: string;
  logger: Logger;
  metrics: BloodbankMetrics;
}): Promise<CommandRequester> {
  // A computed specifier: runtime/commands is written alongside and typed here by `RequesterModule`.
  const specifier = '../../runtime/commands/index.js';
  const mod = (await import(specifier)) as RequesterModule;
  return mod.createRequester({
    registry: options.registry,
    publisher: options.publisher,
    exchange: options.exchange,
    logger: options.logger,
    metrics: options.metrics,
  });
}

/** The command errors the gateway maps, by their `name` discriminant. */
export function commandErrorName(error: unknown): string | null {
  return error instanceof Error ? error.name : null;
}
