/**
 * `bb mcp`: an MCP server over stdio with the tools of tools.ts, on the SDK's low-level `Server`
 * (`tools/list` and `tools/call` handlers; the high-level `registerTool` takes only zod schemas).
 * The bus (RabbitMQ, Redis) is opened on the first tool that needs it and kept until the client
 * disconnects; read-only catalogue tools work without it. Nothing but the protocol goes to stdout.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { deterministicId, type IdFieldValue } from 'bloodbank/ids.js';
import type { AppRegistry } from '../../shared/registry.js';
import { buildTrace } from '../commands/trace.js';
import { cliSource, getRegistry, openBus, type Bus, type GlobalOptions } from '../support/context.js';
import { openRequester, type CliRequester } from '../support/requester.js';
import { buildTools, callTool, type ToolBus } from './tools.js';

export const MCP_APP = 'bloodbank-mcp';

export function createMcpServer(registry: AppRegistry, bus: () => Promise<ToolBus>): Server {
  const server = new Server(
    { name: 'bloodbank', version: '0.1.0' },
    {
      capabilities: { tools: {} },
      instructions:
        'Bloodbank is an event bus. list_event_types and get_event_schema describe the events; publish_event records facts; one tool per command asks a processor to act; trace_event shows what caused what; query_history reads stored events.',
    },
  );
  const tools = buildTools(registry);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: tools.map((t) => ({ ...t })) }));
  server.setRequestHandler(CallToolRequestSchema, (request) =>
    callTool(registry, bus, request.params.name, request.params.arguments ?? {}),
  );
  return server;
}

/** The bus behind the tools, opened once; a failed open is retried on the next call. */
function lazyBus(globals: GlobalOptions): { get: () => Promise<ToolBus>; close: () => Promise<void> } {
  let opening: Promise<{ bus: Bus; tools: ToolBus; requester: () => Promise<CliRequester> }> | null = null;
  let requester: Promise<CliRequester> | null = null;
  const open = async () => {
    const bus = await openBus(globals, 'mcp', { source: cliSource(MCP_APP) });
    const getRequester = () => (requester ??= openRequester(bus, cliSource(MCP_APP)));
    const tools: ToolBus = {
      async publish(eventType, payload, options) {
        const receipt = await bus.publisher.publish(eventType as never, payload as never, {
          correlationIds: options.parents,
          correlationMetadata: { event_type: eventType },
          mandatory: options.mandatory,
          ...(options.eventId ? { eventId: options.eventId } : {}),
          ...(options.parameters ? { parameters: options.parameters } : {}),
          ...(options.routingKey !== undefined ? { routingKey: options.routingKey } : {}),
        });
        return { eventId: receipt.eventId };
      },
      async request(eventType, payload, options) {
        const r = await getRequester();
        const { reply, commandId } = await r.request(eventType, payload, {
          timeoutMs: options.timeoutMs,
          parentIds: options.parents,
        });
        return { commandId, reply };
      },
      async trace(eventId, direction) {
        const reader = { connection: bus.connection, exchange: bus.config.exchangeName };
        const fromHistory = async () =>
          (await import('../commands/trace-history.js'))
            .traceFromHistory(reader, eventId, direction)
            .catch(() => null);
        if (bus.tracker.degraded) {
          const found = await fromHistory();
          if (found) return found;
          throw new Error('Redis is not reachable, so correlation chains cannot be read (check REDIS_URL)');
        }
        try {
          return await buildTrace(bus.tracker, eventId, direction);
        } catch (error) {
          if ((error as Error).name === 'CliError')
            return (
              (await fromHistory()) ?? { event_id: eventId, found: false, note: (error as Error).message }
            );
          throw error;
        }
      },
      async history(query) {
        const { readHistory } = await import('bloodbank/amqp/history.js');
        const events: unknown[] = [];
        for await (const e of readHistory(
          { connection: bus.connection, exchange: bus.config.exchangeName },
          query,
        ))
          events.push({
            offset: e.offset,
            routing_key: e.routingKey,
            workflow_id: e.workflowId,
            envelope: e.envelope,
          });
        return { count: events.length, complete: events.length < query.limit, events };
      },
      deterministicId: (eventType, fields) =>
        deterministicId(eventType, fields as Record<string, IdFieldValue>),
    };
    return { bus, tools, requester: getRequester };
  };
  return {
    async get() {
      opening ??= open().catch((error: unknown) => {
        opening = null;
        throw error;
      });
      return (await opening).tools;
    },
    async close() {
      if (!opening) return;
      const opened = await opening.catch(() => null);
      if (!opened) return;
      const pendingRequester = requester as Promise<CliRequester> | null;
      if (pendingRequester) await (await pendingRequester).close().catch(() => {});
      await opened.bus.close();
    },
  };
}

/** `bb mcp`: serves until the client closes stdin or the process is told to stop. */
export async function mcpCommand(globals: GlobalOptions): Promise<void> {
  const registry = await getRegistry(globals);
  const bus = lazyBus(globals);
  const server = createMcpServer(registry, bus.get);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.connect(transport);
  process.stderr.write(`bb mcp: serving ${registry.list().length} event types over stdio\n`);
  await closed;
  await server.close().catch(() => {});
  await bus.close();
}
