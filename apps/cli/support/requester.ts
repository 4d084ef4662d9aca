/** Request/reply over the CLI's bus (runtime/commands), for `publish-prompt --wait` and MCP command tools. */
import type { RequestOptions } from 'bloodbank/commands/requester.js';
import type { Envelope, SourceInput } from 'bloodbank/envelope.js';
import type { Registry } from 'bloodbank/registry.js';
import type { Bus } from './context.js';

/** The requester with string keys: the registry here may be any module's (`--registry`). */
export interface CliRequester {
  request(
    key: string,
    payload: unknown,
    options?: RequestOptions,
  ): Promise<{ reply: Envelope; commandId: string }>;
  close(): Promise<void>;
}

export async function openRequester(
  bus: Bus,
  source: SourceInput,
  timeoutMs?: number,
): Promise<CliRequester> {
  const { createRequester } = await import('bloodbank/commands/requester.js');
  return createRequester({
    registry: bus.registry as unknown as Registry,
    connection: bus.connection,
    exchange: bus.config.exchangeName,
    source,
    tracker: bus.tracker,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  }) as unknown as CliRequester;
}
