/**
 * A small hand-built registry for the transport contract suite: keys of 2 to 4 words so topic patterns
 * can be exercised (`contract.item.#` matches `contract.item`), validators compiled with ajv the way
 * codegen's are (publish strict with defaults, consume tolerant).
 */
import { Ajv } from 'ajv';
import type { AjvValidateFunction } from '../../runtime/validation.js';
import { wrapValidator } from '../../runtime/validation.js';
import {
  createRegistry,
  type EventDefinition,
  type JsonSchema,
  type Registry,
} from '../../runtime/registry.js';

export interface ItemPayload {
  n: number;
  note: string;
}
export interface ItemInput {
  n: number;
  note?: string;
}

type Entry = { payload: ItemPayload; input: ItemInput; kind: 'event' };

export type ContractCatalog = {
  'contract.item': Entry;
  'contract.item.created': Entry;
  'contract.item.deleted': Entry;
  'contract.item.created.v2': Entry;
  'contract.other.created': Entry;
};

export const CONTRACT_KEYS = [
  'contract.item',
  'contract.item.created',
  'contract.item.deleted',
  'contract.item.created.v2',
  'contract.other.created',
] as const satisfies readonly (keyof ContractCatalog)[];

function schema(strict: boolean): JsonSchema {
  return {
    type: 'object',
    required: ['n'],
    properties: { n: { type: 'integer', minimum: 0 }, note: { type: 'string', default: '' } },
    ...(strict ? { additionalProperties: false } : {}),
  };
}

/**
 * `bare: true`: the same events as a document we did not write would describe them (channel id and
 * address = the key, no envelope of ours): messages travel on the bare wire (runtime/delivery/bare.ts).
 */
export function createContractRegistry(options: { readonly bare?: boolean } = {}): Registry<ContractCatalog> {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  const publish = wrapValidator(ajv.compile(schema(true)) as AjvValidateFunction);
  const consume = wrapValidator(ajv.compile(schema(false)) as AjvValidateFunction);
  const defs: EventDefinition[] = CONTRACT_KEYS.map((key) => {
    const tokens = key.split('.');
    return {
      key,
      tokens,
      domain: tokens[0] ?? key,
      group: tokens.slice(0, 2).join('/'),
      kind: 'event',
      typeName: 'ItemPayload',
      schemaId: null,
      schema: schema(true),
      replyKey: null,
      errorKey: null,
      title: key,
      description: `contract-suite event ${key}`,
      examples: [{ n: 1 }],
      validatePublish: publish,
      validateConsume: consume,
      ...(options.bare ? { channelId: key, address: key } : {}),
    };
  });
  return createRegistry<ContractCatalog>(defs, null);
}
