/**
 * The apps (gateway, `bb`, MCP) resolve a channel address through the runtime's rules
 * (runtime/delivery/address.ts), so the key they name and the values they refuse are the publisher's: an
 * MQTT topic maps `/` → `.` and `+` → `*`, a queue-bound channel travels with its queue name. Each case
 * compares what apps/shared/entries.ts answers with what the runtime computes for the same input.
 */
import { describe, expect, it } from 'vitest';
import { parametersSchema, resolveAddress } from '../../../apps/shared/entries.js';
import { resolveAddress as runtimeResolve } from '../../../runtime/delivery/address.js';
import type { EventDefinition } from '../../../runtime/registry.js';
import { registry as mqttSensors } from '../../fixtures/codegen/mqtt-sensors/generated/registry.js';
import { foreignRegistry } from './foreign-registry.js';

const must = (
  key: string,
  from: { get(key: string): EventDefinition | undefined } = foreignRegistry,
): EventDefinition => {
  const def = from.get(key);
  if (!def) throw new Error(`no entry ${key}`);
  return def;
};

const queueBound: EventDefinition = {
  ...must('lightTurnOn'),
  key: 'quoteRequests',
  channelId: 'quoteRequests',
  // AsyncAPI 2.x: the channel's name and its queue's may differ; the message travels with the queue's.
  address: 'quoteRequests',
  parameters: [],
  delivery: {
    is: 'queue',
    queue: { name: 'quote_requests', durable: true, exclusive: false, autoDelete: false },
  },
};

describe('the apps name the routing key the runtime publishes with', () => {
  const cases: Array<[string, { def: EventDefinition; parameters?: Record<string, string>; want: string }]> =
    [
      [
        'MQTT topic with a + wildcard',
        { def: must('sensorAlarm'), parameters: { level: 'high' }, want: 'site.*.alarm.high' },
      ],
      [
        'MQTT topic of the mqtt-sensors fixture',
        {
          def: must('temperature', mqttSensors),
          parameters: { houseId: 'h1', sensorId: 's9' },
          want: 'greenhouse.h1.sensors.s9.temperature',
        },
      ],
      ['MQTT topic without placeholders', { def: must('userSignedup.userSignedUp'), want: 'user.signedup' }],
      [
        'AMQP address with a default',
        { def: must('commentChanged'), parameters: { commentId: 'c1' }, want: 'comment/c1/edited' },
      ],
      ['a channel bound as a queue', { def: queueBound, want: 'quote_requests' }],
    ];
  it.each(cases)('%s', (_, { def, parameters, want }) => {
    const runtime = runtimeResolve(def, parameters, undefined);
    expect(runtime).toMatchObject({ ok: true, routingKey: want });
    expect(resolveAddress(def, parameters ? { parameters } : {})).toMatchObject({
      ok: true,
      value: { key: want },
    });
  });
});

describe('the apps refuse what the runtime refuses, naming the parameter', () => {
  const cases: Array<
    [string, { def: EventDefinition; parameters: Record<string, string>; name: string; rule: string }]
  > = [
    [
      '/ inside an MQTT value',
      { def: must('sensorAlarm'), parameters: { level: 'a/b' }, name: 'level', rule: 'pattern' },
    ],
    [
      '+ inside an MQTT value',
      {
        def: must('temperature', mqttSensors),
        parameters: { houseId: 'h+', sensorId: 's' },
        name: 'houseId',
        rule: 'pattern',
      },
    ],
    [
      'a value outside the enum',
      { def: must('sensorAlarm'), parameters: { level: 'mid' }, name: 'level', rule: 'enum' },
    ],
    [
      'an empty value',
      {
        def: must('lightTurnOn'),
        parameters: { streetlightId: '' },
        name: 'streetlightId',
        rule: 'minLength',
      },
    ],
  ];
  it.each(cases)('%s', (_, { def, parameters, name, rule }) => {
    const runtime = runtimeResolve(def, parameters, undefined);
    expect(runtime.ok ? [] : runtime.issues.map((i) => [i.params['parameter'], i.rule])).toEqual([
      [name, rule],
    ]);
    const apps = resolveAddress(def, { parameters });
    expect(apps.ok ? [] : apps.issues.map((i) => [i.name, i.rule])).toEqual([[name, rule]]);
  });

  it('the parameters schema the apps publish (MCP, OpenAPI) holds the same pattern', () => {
    for (const def of [must('sensorAlarm'), must('temperature', mqttSensors), must('lightTurnOn')]) {
      const schema = parametersSchema(def);
      for (const [name, property] of Object.entries(schema.properties)) {
        const pattern = new RegExp((property as { pattern: string }).pattern);
        for (const value of ['ok', 'a.b', 'a*', '#', 'a/b', 'a+b']) {
          const refused = runtimeResolve(def, { [name]: value }, undefined);
          const byRuntime = !refused.ok && refused.issues.some((i) => i.rule === 'pattern');
          expect(pattern.test(value), `${def.key} ${name}=${value}`).toBe(!byRuntime);
        }
      }
    }
  });

  it('a caller-named key: required, never a binding pattern, at most 255 bytes', () => {
    const def = must('anyTopic');
    for (const [key, rule] of [
      [undefined, 'required'],
      ['', 'minLength'],
      ['a.#', 'pattern'],
      ['x'.repeat(256), 'maxLength'],
    ] as const) {
      const apps = resolveAddress(def, key === undefined ? {} : { routingKey: key });
      expect(apps.ok ? [] : apps.issues.map((i) => [i.name, i.rule])).toEqual([['routing_key', rule]]);
      const runtime = runtimeResolve(def, undefined, key);
      expect(runtime.ok ? [] : runtime.issues.map((i) => [i.pointer, i.rule])).toEqual([
        ['/routingKey', rule],
      ]);
    }
  });
});
