/**
 * `bb mcp` through the SDK's own client over stdio (the built binary), against the real RabbitMQ:
 * the tool list matches the registry, publishes arrive on the exchange with every argument, invalid
 * arguments come back as tool errors naming the pointer.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectRefs, toolName } from '../../../apps/cli/mcp/tools.js';
import { registry } from '../../../generated/registry.js';
import { startMcp, type McpHarness } from './support.js';

let mcp: McpHarness;
let client: Client;
let ch: amqp.Channel;
let queue: string;
let exchange: string;

interface Tool {
  name: string;
  inputSchema: Record<string, unknown>;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean };
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
type Json = Record<string, any>;
type CallResult = { isError?: boolean; content: { type: string; text: string }[] };

beforeAll(async () => {
  mcp = await startMcp('mcp');
  ({ client, channel: ch, queue, exchange } = mcp);
}, 300_000);

afterAll(async () => mcp?.close());

async function call(name: string, args: Record<string, unknown>): Promise<CallResult> {
  return (await client.callTool({ name, arguments: args })) as CallResult;
}

async function nextMessage(eventId: string, timeoutMs = 10_000): Promise<{ envelope: Json; key: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = await ch.get(queue, { noAck: true });
    if (m) {
      const envelope = JSON.parse(m.content.toString()) as Json;
      if (envelope['event_id'] === eventId) return { envelope, key: m.fields.routingKey };
    } else await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`event ${eventId} did not arrive on ${exchange}`);
}

const resultOf = (r: CallResult) => JSON.parse(r.content[0]?.text ?? 'null') as Json;

describe('bb mcp', () => {
  it('lists tools generated from the registry, draft-07, bundled, annotated', async () => {
    const { tools } = (await client.listTools()) as { tools: Tool[] };
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(
      [
        'list_event_types',
        'get_event_schema',
        'publish_event',
        'trace_event',
        'query_history',
        'publish_llm_prompt',
        'publish_llm_response',
        'publish_artifact',
        ...registry.listCommands().map((c) => toolName(c.key)),
      ].sort(),
    );
    for (const tool of tools) {
      expect(tool.inputSchema['$schema'], tool.name).toBe('http://json-schema.org/draft-07/schema#');
      expect(tool.inputSchema['type']).toBe('object');
      expect(tool.inputSchema['$id']).toBeUndefined();
      for (const ref of collectRefs(tool.inputSchema)) expect(ref, tool.name).toMatch(/^#\/definitions\//);
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['list_event_types', 'get_event_schema', 'trace_event', 'query_history'])
      expect(byName.get(name)?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    for (const name of ['publish_event', 'publish_llm_prompt', 'publish_llm_response', 'publish_artifact'])
      expect(byName.get(name)?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(byName.get('agent_thread_prompt')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    const prompt = byName.get('agent_thread_prompt')?.inputSchema as {
      properties: object;
      required: string[];
    };
    expect(Object.keys(prompt.properties)).toEqual(
      expect.arrayContaining(['provider', 'prompt', 'wait', 'timeout_ms', 'parent_event_ids']),
    );
    expect(prompt.required).toEqual(['provider', 'prompt']);
  });

  it('list_event_types and get_event_schema read the registry', async () => {
    const list = resultOf(await call('list_event_types', { kind: 'command' }));
    expect(list['event_types'].map((e: { event_type: string }) => e.event_type)).toEqual(
      registry.listCommands().map((c) => c.key),
    );
    const schema = resultOf(await call('get_event_schema', { event_type: 'fireflies.transcript.ready' }));
    expect(schema['schema']).toEqual(registry.require('fireflies.transcript.ready').schema);
    const unknown = await call('get_event_schema', { event_type: 'nope.nope' });
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0]?.text).toMatch(
      /\/event_type: unknown event type "nope\.nope"[\s\S]*list_event_types/,
    );
  });

  it('publish_event arrives on the exchange, with its parents', async () => {
    const parent = '3f0c1e9a-5b7d-4c2e-9a81-0d6f2b4c8e17';
    const r = await call('publish_event', {
      event_type: 'artifact.created',
      payload: { kind: 'document', uri: 'file:///tmp/doc.md', title: 'Doc' },
      parent_event_ids: [parent],
    });
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    const { event_id } = resultOf(r);
    const { envelope, key } = await nextMessage(event_id);
    expect(key).toBe('artifact.created');
    expect(envelope).toMatchObject({
      event_type: 'artifact.created',
      correlation_ids: [parent],
      source: { app: 'bloodbank-mcp' },
      payload: { kind: 'document', uri: 'file:///tmp/doc.md', title: 'Doc', metadata: {} },
    });
  });

  it('query_history reads stored events; bad arguments name their pointer', async () => {
    const history = `${exchange}.history`;
    await ch.assertQueue(history, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    await ch.bindQueue(history, exchange, '#');
    const published = resultOf(
      await call('publish_event', {
        event_type: 'artifact.created',
        payload: { kind: 'document', uri: 'file:///tmp/h.md', title: 'H' },
      }),
    );
    const r = await call('query_history', {
      pattern: 'artifact.#',
      since: '10m',
      correlation: published.event_id,
    });
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    expect(resultOf(r)).toMatchObject({
      count: 1,
      complete: true,
      events: [{ routing_key: 'artifact.created', envelope: { event_id: published.event_id } }],
    });
    const bad = await call('query_history', { since: 'yesterday', limit: 0 });
    expect(bad.isError).toBe(true);
    expect(bad.content[0]?.text).toMatch(/\/limit: must be an integer[\s\S]*\/since: must be a duration/);
  });

  it('invalid arguments come back as a tool error naming each pointer and how to recover', async () => {
    const r = await call('publish_event', {
      event_type: 'llm.prompt',
      payload: { provider: 42, temperature: 'hot' },
    });
    expect(r.isError).toBe(true);
    const text = r.content[0]?.text ?? '';
    expect(text).toMatch(/- \/payload\/provider: must be string/);
    expect(text).toMatch(/- \/payload\/prompt: is required/);
    expect(text).toMatch(/\/payload\/temperature/);
    expect(text).toMatch(/How to recover: .*get_event_schema \{"event_type": "llm\.prompt"\}/);

    const command = await call('publish_event', { event_type: 'agent.thread.prompt', payload: {} });
    expect(command.content[0]?.text).toMatch(/is a command.*agent_thread_prompt/);
    const parents = await call('publish_artifact', {
      action: 'created',
      kind: 'file',
      uri: 'x',
      parent_event_ids: ['nope'],
    });
    expect(parents.isError).toBe(true);
    expect(parents.content[0]?.text).toMatch(/\/parent_event_ids\/0: must be an event id/);
    const flat = await call('agent_thread_prompt', { provider: 'echo' });
    expect(flat.isError).toBe(true);
    expect(flat.content[0]?.text).toMatch(/Invalid arguments for agent_thread_prompt[\s\S]*prompt/);
  });

  it('publish_llm_prompt and publish_llm_response pass every argument through, response parented by the prompt', async () => {
    const prompt = await call('publish_llm_prompt', {
      provider: 'anthropic',
      prompt: 'Summarise the diff',
      model: 'claude-sonnet-4-5',
      temperature: 0.2,
      tools: ['read_file'],
      project: 'bloodbank',
      working_dir: '/work',
      domain: 'code-review',
      tags: ['review'],
      metadata: { session: 's1' },
    });
    expect(prompt.isError, prompt.content[0]?.text).toBeFalsy();
    const promptId = resultOf(prompt)['event_id'] as string;
    const p = await nextMessage(promptId);
    expect(p.envelope['payload']).toEqual({
      provider: 'anthropic',
      prompt: 'Summarise the diff',
      model: 'claude-sonnet-4-5',
      temperature: 0.2,
      tools: ['read_file'],
      project: 'bloodbank',
      working_dir: '/work',
      domain: 'code-review',
      tags: ['review'],
      metadata: { session: 's1' },
    });
    const response = await call('publish_llm_response', {
      provider: 'anthropic',
      prompt_id: promptId,
      response: 'Looks good',
      model: 'claude-sonnet-4-5',
      usage: { input_tokens: 10, output_tokens: 3 },
      metadata: { session: 's1' },
    });
    expect(response.isError, response.content[0]?.text).toBeFalsy();
    const r = await nextMessage(resultOf(response)['event_id'] as string);
    expect(r.envelope['correlation_ids']).toEqual([promptId]);
    expect(r.envelope['payload']).toMatchObject({
      prompt_id: promptId,
      usage: { input_tokens: 10, output_tokens: 3 },
      metadata: { session: 's1' },
    });

    const artifact = await call('publish_artifact', {
      action: 'deleted',
      kind: 'file',
      uri: 'file:///gone',
      title: 'gone',
      metadata: { by: 'agent' },
    });
    const a = await nextMessage(resultOf(artifact)['event_id'] as string);
    expect(a.key).toBe('artifact.deleted');
    expect(a.envelope['payload']).toMatchObject({
      action: 'deleted',
      title: 'gone',
      metadata: { by: 'agent' },
    });
  });

  it('a command tool without a processor says how to recover; trace_event reads the chain', async () => {
    const r = await call('agent_thread_prompt', {
      provider: 'echo',
      prompt: 'hi',
      wait: true,
      timeout_ms: 2000,
    });
    expect(r.isError).toBe(true);
    expect(r.content[0]?.text).toMatch(/bb serve commands/);

    const root = resultOf(await call('publish_llm_prompt', { provider: 'x', prompt: 'root' }))[
      'event_id'
    ] as string;
    const child = resultOf(
      await call('publish_llm_response', { provider: 'x', prompt_id: root, response: 'child' }),
    )['event_id'] as string;
    const trace = resultOf(await call('trace_event', { event_id: root, direction: 'descendants' }));
    expect(trace['descendants']).toMatchObject({
      event_id: root,
      children: [{ event_id: child, event_type: 'llm.response' }],
    });
  });
});
