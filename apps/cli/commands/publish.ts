/** `bb publish <type>`: validate, then publish over AMQP (confirmed) or through the HTTP gateway. */
import type { PublishOptions } from 'bloodbank/bus.js';
import { createEnvelope } from 'bloodbank/envelope.js';
import { deterministicId, uniqueKey } from 'bloodbank/ids.js';
import { findType } from './catalog.js';
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
  const eventId = hasIdKey ? deterministicId(def.key, fields) : undefined;

  if (options.dryRun) {
    const envelope = createEnvelope(def.key, valid, {
      source: cliSource(),
      correlationIds: parents,
      ...(eventId ? { eventId } : {}),
    });
    printJson(envelope);
    info(`dry run: ${def.key} is valid; nothing was published`);
    return;
  }

  if (options.via === 'http') {
    const config = await getConfig();
    const result = await publishViaHttp(config, {
      eventType: def.key,
      tokens: def.tokens,
      payload,
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
    };
    const receipt = await bus.publisher.publish(def.key as never, payload as never, publishOptions);
    if (options.json) printJson(receipt.envelope);
    else out(receipt.eventId);
    info(
      `published ${def.key} to ${bus.config.exchangeName}${parents.length ? ` (parents ${parents.join(', ')})` : ''}`,
    );
  } finally {
    await bus.close();
  }
}
