import { createRequire } from 'node:module';
import type { ConfirmChannel, Options } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { canSendDirectly, publishFields, sendConfirmed } from '../../../runtime/amqp/fast-publish.js';

// amqplib's own conversion, to compare with (an internal module: not in its exports map).
const require = createRequire(import.meta.url);
const amqplibArgs = require('../../../node_modules/amqplib/lib/api_args.js') as {
  publish: (exchange: string, routingKey: string, options: Options.Publish) => Record<string, unknown>;
};

const options: Options.Publish = {
  mandatory: true,
  persistent: true,
  messageId: 'b7c0b6e4-8f7e-4b4e-9a4f-0c6f2a1d9e11',
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  type: 'llm.prompt',
  timestamp: 1_764_219_000,
  appId: 'test',
  headers: { cloudEvents_specversion: '1.0', 'bb-correlation-id': 'b7c0b6e4-8f7e-4b4e-9a4f-0c6f2a1d9e11' },
};

describe('fast publish', () => {
  it('builds the fields and properties amqplib builds, with the headers as own properties', () => {
    const ours = publishFields('bloodbank.events.v1', 'llm.prompt', options);
    const theirs = amqplibArgs.publish('bloodbank.events.v1', 'llm.prompt', options);
    const { headers: theirHeaders, ...theirRest } = theirs;
    const { headers: ourHeaders, ...ourRest } = ours;
    expect(ourRest).toEqual(theirRest);
    expect(Object.keys(ourRest).sort()).toEqual(Object.keys(theirRest).sort());
    // amqplib's headers object inherits the caller's keys; ours owns them: the same table on the wire.
    const inherited: Record<string, unknown> = {};
    for (const k in theirHeaders as object) inherited[k] = (theirHeaders as Record<string, unknown>)[k];
    expect(ourHeaders).toEqual(inherited);
    expect(Object.keys(ourHeaders)).toEqual(Object.keys(options.headers as object));
    for (const deliveryMode of [undefined, 1, 2, true, false] as const) {
      const o = { deliveryMode } as Options.Publish;
      expect(publishFields('x', 'a.b', o).deliveryMode).toBe(
        amqplibArgs.publish('x', 'a.b', o)['deliveryMode'],
      );
    }
    expect(publishFields('x', 'a.b', { expiration: 60_000 }).expiration).toBe('60000');
  });

  it('sends through the channel internals, or through channel.publish when they are missing', () => {
    const calls: string[] = [];
    const internals = {
      sendMessage: () => (calls.push('sendMessage'), true),
      pushConfirmCallback: () => calls.push('pushConfirmCallback'),
      publish: () => (calls.push('publish'), true),
    } as unknown as ConfirmChannel;
    const fields = publishFields('x', 'a.b', options);
    expect(canSendDirectly(internals)).toBe(true);
    expect(sendConfirmed(internals, true, fields, options, Buffer.from('{}'), () => undefined)).toBe(true);
    expect(calls).toEqual(['sendMessage', 'pushConfirmCallback']);
    const plain = { publish: () => (calls.push('publish'), false) } as unknown as ConfirmChannel;
    expect(canSendDirectly(plain)).toBe(false);
    expect(sendConfirmed(plain, false, fields, options, Buffer.from('{}'), () => undefined)).toBe(false);
    // CC/BCC need amqplib's own conversion.
    sendConfirmed(internals, true, fields, { ...options, CC: 'a.c' }, Buffer.from('{}'), () => undefined);
    expect(calls).toEqual(['sendMessage', 'pushConfirmCallback', 'publish', 'publish']);
  });
});
