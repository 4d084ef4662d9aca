/**
 * `bb mcp` on a registry of a document we did not write (issue 17 point 2), through the SDK's client
 * over stdio against the real RabbitMQ: tool names pass the MCP tool-name rules (the SDK's own check),
 * address parameters are in the tools' input schemas, bad values come back as tool errors naming
 * `/parameters/<name>`, and publishes are confirmed by the broker.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { validateToolName } from '@modelcontextprotocol/sdk/shared/toolNameValidation.js';
import type amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandToolNames } from '../../../apps/cli/mcp/tools.js';
import { toolNameOf } from '../../../apps/shared/entries.js';
import type { EventDefinition } from '../../../runtime/registry.js';
import { startMcp, type McpHarness } from './support.js';

let mcp: McpHarness;
let client: Client;
let ch: amqp.Channel;
let queue: string;
type CallResult = { isError?: boolean; content: { type: string; text: string }[] };

beforeAll(async () => {
  mcp = await startMcp('mcpforeign', ['--registry', './test/fixtures/apps/foreign-registry.mjs']);
  ({ client, channel: ch, queue } = mcp);
}, 300_000);

afterAll(async () => mcp?.close());

const call = async (name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallResult;
const text = (r: CallResult) => r.content[0]?.text ?? '';

async function arrived(eventId: string): Promise<void> {
  // A foreign registry travels on the bare wire: the event id is the AMQP message_id, the body the payload.
  for (let i = 0; i < 1200; i += 1) {
    const m = await ch.get(queue, { noAck: true });
    if (m && m.properties.messageId === eventId) return;
    if (!m) await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`event ${eventId} did not arrive`);
}

describe('tool names', () => {
  it('sanitizes keys to the MCP set, cuts long ones with a hash, and keeps names unique', () => {
    expect(toolNameOf('userSignedup.userSignedUp')).toBe('userSignedup_userSignedUp');
    expect(toolNameOf('a b/c:d')).toBe('a_b_c_d');
    const long = toolNameOf(`x.${'y'.repeat(200)}`);
    expect(long).toHaveLength(128);
    expect(validateToolName(long).isValid).toBe(true);
    expect(toolNameOf(`x.${'y'.repeat(200)}`)).not.toBe(toolNameOf(`x.${'y'.repeat(201)}`));
    const defs = ['a.b', 'a_b', 'publish_event'].map((key) => ({ key }) as EventDefinition);
    expect([...commandToolNames(defs).values()]).toEqual(['a_b', 'a_b_2', 'publish_event_command']);
  });
});

describe('bb mcp on a foreign registry', () => {
  it('lists valid tool names, with the address parameters in the input schemas', async () => {
    const { tools } = await client.listTools();
    for (const t of tools) expect(validateToolName(t.name).isValid, t.name).toBe(true);
    const dim = tools.find((t) => t.name === 'lightsDim');
    expect(dim?.inputSchema.required).toContain('parameters');
    expect(dim?.inputSchema.properties?.['parameters']).toMatchObject({
      type: 'object',
      properties: { streetlightId: { type: 'string', enum: ['lamp7', 'lamp8'] } },
      required: ['streetlightId'],
    });
    const publish = tools.find((t) => t.name === 'publish_event');
    expect(publish?.inputSchema.properties).toHaveProperty('parameters');
    expect(publish?.inputSchema.properties).toHaveProperty('routing_key');
    expect((publish?.inputSchema.properties?.['event_type'] as { enum: string[] }).enum).toContain(
      'userSignedup.userSignedUp',
    );
  });

  it('get_event_schema shows the address and its parameters', async () => {
    const r = JSON.parse(text(await call('get_event_schema', { event_type: 'commentChanged' }))) as Record<
      string,
      unknown
    >;
    expect(r).toMatchObject({
      address: 'comment/{commentId}/{change}',
      parameters: [{ name: 'commentId' }, { name: 'change', enum: ['edited', 'deleted'] }],
    });
  });

  it('publish_event fills the address from parameters, refusing bad values by name', async () => {
    const missing = await call('publish_event', { event_type: 'lightTurnOn', payload: { command: 'on' } });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toContain('- /parameters/streetlightId: is required');
    const dotted = await call('publish_event', {
      event_type: 'lightTurnOn',
      payload: { command: 'on' },
      parameters: { streetlightId: 'a.b' },
    });
    expect(text(dotted)).toContain("- /parameters/streetlightId: must not contain '.', '*' or '#'");
    const noKey = await call('publish_event', { event_type: 'anyTopic', payload: { text: 'x' } });
    expect(text(noKey)).toContain('- /routing_key: is required');

    const ok = await call('publish_event', {
      event_type: 'lightTurnOn',
      payload: { command: 'on' },
      parameters: { streetlightId: 'lamp7' },
    });
    expect(ok.isError, text(ok)).toBeFalsy();
    await arrived((JSON.parse(text(ok)) as { event_id: string }).event_id);
  });

  it('a command tool takes its parameters and refuses a value outside the enum', async () => {
    const bad = await call('lightsDim', { percentage: '50', parameters: { streetlightId: 'lamp9' } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toContain('- /parameters/streetlightId: must be one of lamp7, lamp8');
    const ok = await call('lightsDim', { percentage: '50', parameters: { streetlightId: 'lamp8' } });
    expect(ok.isError, text(ok)).toBeFalsy();
    await arrived((JSON.parse(text(ok)) as { event_id: string }).event_id);
  });
});
