/** `bb publish <type>`: validate, then publish over AMQP (confirmed) or through the HTTP gateway. */
import type { PublishOptions } from 'bloodbank/bus.js';
import { createEnvelope } from 'bloodbank/envelope.js';
import { deterministicId, uniqueKey } from 'bloodbank/ids.js';
import type { EventDefinition } from 'bloodbank/registry.js';
import { resolveAddress, type ResolvedAddress } from '../../shared/entries.js';
import { findType } from './catalog.js';
import { CliError, EXIT } from '../support/errors.js';
import { cliSource, getConfig, getRegistry, openBus, type GlobalOptions } from '../support/context.js';
import { publishViaHttp } from '../support/http.js';
import { info, out, printJson } from '../support/output.js';
import {
  checkParents,
  parseFields,
  readPayload,
  validatePayload,
  type PayloadSources,
} from '../support/payload.js';

export interface PublishCommandOptions extends Omit<PayloadSources, 'source'> {
  readonly parent?: string[];
  readonly idKey?: string[];
  readonly param?: string[];
  readonly routingKey?: string;
  readonly dryRun?: boolean;
  readonly via: 'amqp' | 'http';
  readonly allowUnroutable?: boolean;
  readonly json?: boolean;
}

export async function publish(
  globals: GlobalOptions,
  type: string,
  source: string | undefined,
  options: PublishCommandOptions,
): Promise<void> {
  const registry = await getRegistry(globals);
  const def = findType(registry.list(), type);
  const parents = checkParents(options.parent);
  const fields = parseFields(options.idKey, '--id-key');
  const hasIdKey = Object.keys(fields).length > 0;
  const payload = await readPayload(def, { ...options, ...(source === undefined ? {} : { source }) });
  const valid = validatePayload(def, payload);
  const address = addressOf(def, options);
  const eventId = hasIdKey ? deterministicId(def.key, fields) : undefined;

  if (options.dryRun) {
    const envelope = createEnvelope(def.key, valid, {
      source: cliSource(),
      correlationIds: parents,
      ...(eventId ? { eventId } : {}),
    });
    printJson(envelope);
    info(`dry run: ${def.key} is valid (routing key ${address.key}); nothing was published`);
    return;
  }

  if (options.via === 'http') {
    const config = await getConfig();
    const result = await publishViaHttp(config, {
      eventType: def.key,
      def,
      payload,
      address,
      parents,
      ...(hasIdKey ? { idempotencyKey: uniqueKey(fields) } : {}),
    });
    if (options.json) printJson(result);
    else out(result.event_id);
    info(`published ${def.key} through ${config.url}`);
    return;
  }

  const bus = await openBus(globals, 'publish', { mandatory: !options.allowUnroutable });
  try {
    const publishOptions: PublishOptions = {
      correlationIds: parents,
      correlationMetadata: { event_type: def.key },
      ...(eventId ? { eventId } : {}),
      ...(address.parameters ? { parameters: address.parameters } : {}),
      ...(address.routingKey !== undefined ? { routingKey: address.routingKey } : {}),
    };
    const receipt = await bus.publisher.publish(def.key as never, payload as never, publishOptions);
    if (options.json) printJson(receipt.envelope);
    else out(receipt.eventId);
    info(
      `published ${def.key}${address.key === def.key ? '' : ` as ${address.key}`} to ${bus.config.exchangeName}${parents.length ? ` (parents ${parents.join(', ')})` : ''}`,
    );
  } finally {
    await bus.close();
  }
}

/** `--param name=value` and `--routing-key` checked against the channel address; exit 2 naming the parameter. */
function addressOf(def: EventDefinition, options: PublishCommandOptions): ResolvedAddress {
  const resolved = resolveAddress(def, {
    parameters: parseFields(options.param, '--param'),
    ...(options.routingKey !== undefined ? { routingKey: options.routingKey } : {}),
  });
  if (resolved.ok) return resolved.value;
  const flag = (name: string) => (name === 'routing_key' ? '--routing-key' : `--param ${name}`);
  throw new CliError(
    `cannot publish ${def.key}:\n` +
      resolved.issues.map((i) => `  ${flag(i.name)}: ${i.message} (${i.rule})`).join('\n') +
      (def.address ? `\n(the address is ${def.address}; bb show ${def.key} lists its parameters)` : ''),
    EXIT.usage,
  );
}
