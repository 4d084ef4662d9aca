/**
 * Any AsyncAPI document the parser accepts (2.x or 3.x, YAML or JSON) generates output that type-checks,
 * or is refused with a CodegenError naming the pointer and the reason (issues 17 and 19). Small documents
 * written here; the generated output goes under .try/ (inside the repository, so that
 * `bloodbank/codegen-runtime` resolves) and is type-checked strict in one program.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFiles } from '../../codegen/index.js';
import { writeFiles } from '../../codegen/write.js';
import { isCodegenError } from '../../runtime/errors/codegen-error.js';

const docs = mkdtempSync(join(tmpdir(), 'bb-any-doc-'));
mkdirSync('.try', { recursive: true });
const outs = mkdtempSync(resolve('.try/any-doc-'));
afterAll(() => {
  rmSync(docs, { recursive: true, force: true });
  rmSync(outs, { recursive: true, force: true });
});

/** Generate from `text` (written as `name`), into .try/; returns the files by path and the warnings. */
async function generate(name: string, text: string) {
  const input = join(docs, name);
  writeFileSync(input, text);
  const out = join(outs, name.replace(/\W/g, '_'));
  const warnings: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    if (String(chunk).includes('warning')) warnings.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const { files } = await buildFiles(input, out);
    writeFiles(out, files);
    const byPath = new Map(files.map((f) => [f.path, f.content]));
    return { out, file: (p: string) => byPath.get(p) ?? '', warnings };
  } finally {
    process.stderr.write = write;
  }
}

async function refusal(name: string, text: string) {
  const input = join(docs, name);
  writeFileSync(input, text);
  return buildFiles(input, join(outs, 'refused')).then(
    () => null,
    (e: unknown) => e,
  );
}

/** Every generated output of this file, type-checked once (tsc --strict, the repository's options). */
const generated: string[] = [];
function typeErrors(): string[] {
  const config = ts.readConfigFile(resolve('tsconfig.json'), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, resolve('.'));
  const roots = generated.map((o) => join(o, 'index.ts'));
  const program = ts.createProgram(roots, { ...parsed.options, noEmit: true, skipLibCheck: true });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

const V3 = `asyncapi: 3.0.0
id: 'urn:example:lights'
info: { title: Lights, version: 1.0.0 }
servers:
  broker: { host: localhost:5672, protocol: amqp }
  mqtt: { host: localhost:1883, protocol: mqtt }
channels:
  lightTurnOn:
    address: 'lights/{lightId}/{mode}/on'
    servers: [{ $ref: '#/servers/broker' }]
    parameters:
      lightId: { description: The light's id. }
      mode: { enum: [day, night], default: day }
    messages:
      turnOn: { $ref: '#/components/messages/turnOnOff' }
  lightTurnOff:
    address: 'lights/{lightId}/{mode}/off'
    servers: [{ $ref: '#/servers/broker' }]
    parameters:
      lightId: { description: The light's id. }
      mode: { enum: [day, night] }
    messages:
      turnOff: { $ref: '#/components/messages/turnOnOff' }
  chat:
    address: /
    servers: [{ $ref: '#/servers/broker' }]
    bindings:
      amqp: { is: routingKey, exchange: { name: chat.x, type: topic } }
    messages:
      hello:
        $ref: '#/components/messages/hello'
        description: siblings of a Reference Object are ignored
      bye:
        payload:
          type: object
          required: [kind]
          properties: { kind: { const: bye } }
  chatMirror:
    address: /
    servers: [{ $ref: '#/servers/broker' }]
    bindings:
      amqp: { is: routingKey, exchange: { name: chat.mirror, type: fanout } }
    messages:
      hello: { $ref: '#/components/messages/hello' }
  rpc:
    address: rpc_queue
    servers: [{ $ref: '#/servers/broker' }]
    bindings:
      amqp: { is: queue, queue: { name: rpc_queue, durable: false } }
    messages:
      sum:
        correlationId: { location: '$message.header#/correlation_id' }
        payload: { type: object, properties: { numbers: { type: array, items: { type: number } } } }
  replies:
    address: null
    servers: [{ $ref: '#/servers/broker' }]
    messages:
      result:
        payload: { type: object, properties: { result: { type: number } } }
  sensors:
    address: 'sensors/{sensorId}'
    servers: [{ $ref: '#/servers/mqtt' }]
    messages:
      reading:
        payload: { type: object, properties: { value: { type: number } } }
  declaredQueue:
    address: audit
    bindings:
      amqp: { is: queue, queue: { name: audit } }
operations:
  turnOn:
    action: send
    channel: { $ref: '#/channels/lightTurnOn' }
  turnOff:
    action: send
    channel: { $ref: '#/channels/lightTurnOff' }
    bindings:
      amqp: { cc: [audit.lights], deliveryMode: 2, expiration: 1000 }
  receiveChat:
    action: receive
    channel: { $ref: '#/channels/chat' }
  sum:
    action: receive
    channel: { $ref: '#/channels/rpc' }
    reply:
      address: { location: '$message.header#/reply_to' }
      channel: { $ref: '#/channels/replies' }
  readSensors:
    action: receive
    channel: { $ref: '#/channels/sensors' }
    bindings:
      mqtt: { qos: 1 }
components:
  messages:
    turnOnOff:
      name: turnOnOff
      headers:
        type: object
        required: [x-light-token]
        properties: { x-light-token: { type: string } }
      payload: { $ref: '#/components/schemas/turnOnOffPayload' }
    hello:
      payload:
        type: object
        required: [kind]
        properties: { kind: { const: hello }, name: { type: string } }
  schemas:
    turnOnOffPayload:
      type: object
      properties: { command: { type: string, enum: [on, off] } }
`;

describe('an AsyncAPI 3 document we did not write', () => {
  it('keys are channel ids (channel.message for several messages), addresses kept as written', async () => {
    const g = await generate('lights.yaml', V3);
    generated.push(g.out);
    const registry = g.file('registry.ts');
    for (const key of [
      'lightTurnOn',
      'lightTurnOff',
      'chat.hello',
      'chat.bye',
      'chatMirror',
      'rpc',
      'replies',
      'sensors',
    ])
      expect(registry).toContain(`key: "${key}",`);
    // A channel without messages (a binding-only queue) has no entry and is no error.
    expect(registry).not.toContain('declaredQueue');
    // Two channels with the same address on different exchanges.
    expect(registry).toContain('exchange: {"name":"chat.x","type":"topic","durable":true}');
    expect(registry).toContain('exchange: {"name":"chat.mirror","type":"fanout","durable":true}');
    expect(registry).toContain('address: "lights/{lightId}/{mode}/on",');
    expect(registry).toContain(
      'parameters: [{"name":"lightId","description":"The light\'s id."},{"name":"mode","enum":["day","night"],"default":"day"}],',
    );
    expect(registry).toContain(
      'delivery: {"is":"routingKey","cc":["audit.lights"],"deliveryMode":2,"expiration":1000},',
    );
    expect(registry).toContain(
      'delivery: {"is":"queue","queue":{"name":"rpc_queue","durable":false,"exclusive":false,"autoDelete":false}},',
    );
    expect(registry).toContain('delivery: {"is":"mqtt","qos":1},');
    expect(registry).toContain('address: null,');
    expect(registry).toContain('discriminator: {"pointer":"/kind","value":"hello"},');
    expect(registry).toContain('correlationIdLocation: "$message.header#/correlation_id",');
    expect(registry).toContain('replyAddress: "$message.header#/reply_to",');
    expect(registry).toContain('replyKey: "replies",');
    expect(registry).toMatch(
      /headers: \{ schema: .*x-light-token.*, validate: v\.validateLightTurnOnHeaders \}/,
    );
    // The Reference Object's sibling is reported and ignored.
    expect(g.warnings.join('')).toMatch(
      /channels\/chat\/messages\/hello: keys beside \$ref ignored \(description\)/,
    );
  });

  it('the client follows the operations, with typed parameters and headers; a shared message is emitted once', async () => {
    const g = await generate('lights-client.yaml', V3);
    const client = g.file('client.ts');
    expect(client).toContain('export type LightTurnOnParameters = {');
    expect(client).toContain('readonly mode: "day" | "night";');
    expect(client).toContain("/** The light's id. */");
    expect(client).toMatch(
      /turnOn\(payload: LightTurnOnPayloadInput, parameters: LightTurnOnParameters, options\?: PublishOptions & \{ readonly messageHeaders\?: LightTurnOnHeadersInput \}\)/,
    );
    // send → publish, receive → subscribe, names from the operation ids.
    expect(client).toMatch(/receiveChatHello\(handler: Handler<BloodbankCatalog, 'chat\.hello'>/);
    expect(client).toMatch(/readSensors\(handler/);
    expect(client).not.toMatch(/publishSensors/);
    // A channel no operation names gets both stubs; address null: the caller names the routing key.
    expect(client).toMatch(/publishChatMirror\(/);
    expect(client).toMatch(
      /publishReplies\(payload: RepliesPayloadInput, options: PublishOptions & \{ readonly routingKey: string \}\)/,
    );
    // lightTurnOn and lightTurnOff share one message: one named payload type, aliased per channel.
    expect(g.file('types/components.ts')).toMatch(/export interface TurnOnOffPayload \{/);
  });

  it('the same document as JSON generates the same registry', async () => {
    const { load } = await import('js-yaml');
    const a = await generate('same.yaml', V3);
    const b = await generate('same.json', JSON.stringify(load(V3), null, 2));
    expect(b.file('registry.ts').replace(/same\.json/g, 'same.yaml')).toBe(a.file('registry.ts'));
  });
});

const V2 = `asyncapi: 2.6.0
id: 'urn:example:orders'
info: { title: Orders, version: 1.0.0 }
servers:
  broker: { url: localhost:5672, protocol: amqp }
channels:
  orders/{region}/placed:
    parameters:
      region: { description: Sales region., schema: { type: string, enum: [eu, us] } }
    bindings:
      amqp: { is: routingKey, exchange: { name: orders, type: topic } }
    subscribe:
      operationId: emitOrderPlaced
      bindings:
        amqp: { cc: [audit], deliveryMode: 2 }
      message: { $ref: '#/components/messages/OrderPlaced' }
  payments/received:
    publish:
      operationId: onPaymentReceived
      message:
        oneOf:
          - { messageId: paid, payload: { type: object, properties: { amount: { type: number } } } }
          - { messageId: refunded, payload: { type: object, properties: { amount: { type: number } } } }
components:
  messages:
    OrderPlaced:
      name: OrderPlaced
      payload: { type: object, required: [id], properties: { id: { type: string } } }
`;

describe('an AsyncAPI 2.x document', () => {
  it('reads through the parser model: subscribe is what we send, publish what we receive', async () => {
    const g = await generate('orders.yaml', V2);
    generated.push(g.out);
    const registry = g.file('registry.ts');
    expect(registry).toContain('key: "emitOrderPlaced",');
    expect(registry).toContain('address: "orders/{region}/placed",');
    expect(registry).toContain(
      'parameters: [{"name":"region","enum":["eu","us"],"description":"Sales region."}],',
    );
    expect(registry).toContain('exchange: {"name":"orders","type":"topic","durable":true}');
    expect(registry).toContain('delivery: {"is":"routingKey","cc":["audit"],"deliveryMode":2},');
    expect(registry).toContain('key: "onPaymentReceived.paid",');
    expect(registry).toContain('key: "onPaymentReceived.refunded",');
    const client = g.file('client.ts');
    // 2.x `subscribe` (others subscribe to what this application sends) → a publish function …
    expect(client).toMatch(
      /emitOrderPlaced\(payload: EmitOrderPlacedPayloadInput, parameters: EmitOrderPlacedParameters/,
    );
    // … and 2.x `publish` (others publish to this application) → subscribe functions.
    expect(client).toMatch(
      /onPaymentReceivedPaid\(handler: Handler<BloodbankCatalog, 'onPaymentReceived\.paid'>/,
    );
    expect(client).not.toMatch(/Publishers \{[^}]*onPaymentReceived/);
  });
});

describe('payload formats and document shapes', () => {
  it('Avro payloads are converted by the parser, schema+yaml read as JSON Schema', async () => {
    const g = await generate(
      'formats.yaml',
      `asyncapi: 3.0.0
info: { title: Formats, version: 1.0.0 }
channels:
  users:
    address: users
    messages:
      userCreated:
        payload:
          schemaFormat: application/vnd.apache.avro;version=1.9.0
          schema:
            type: record
            name: User
            fields:
              - { name: name, type: string }
              - { name: age, type: [int, 'null'] }
      userDeleted:
        payload:
          schemaFormat: application/schema+yaml;version=draft-07
          schema: { type: object, required: [id], properties: { id: { type: string } } }
`,
    );
    generated.push(g.out);
    expect(g.file('types/users.ts')).toMatch(/name: string/);
    expect(g.file('registry.ts')).toContain('key: "users.userCreated",');
  });

  it('an unsupported schema format stops codegen naming the message and the format', async () => {
    const error = await refusal(
      'proto.yaml',
      `asyncapi: 3.0.0
info: { title: Proto, version: 1.0.0 }
channels:
  users:
    messages:
      userCreated:
        payload:
          schemaFormat: application/vnd.google.protobuf;version=3
          schema: 'message User { string name = 1; }'
`,
    );
    expect(isCodegenError(error), String(error)).toBe(true);
    if (!isCodegenError(error)) return;
    expect(error.pointer).toMatch(/^\/channels\/users\/messages\/userCreated\/payload/);
    expect(error.message).toMatch(/application\/vnd\.google\.protobuf;version=3/);
  });

  it('a components-only document generates its named types and nothing that fails to compile', async () => {
    const g = await generate(
      'components.yaml',
      `asyncapi: 3.0.0
info: { title: Shared, version: 1.0.0 }
components:
  schemas:
    Money: { type: object, required: [amount], properties: { amount: { type: number } } }
`,
    );
    generated.push(g.out);
    expect(g.file('index.ts')).not.toBe('');
  });

  it('oneOf of subtypes that allOf the base reads as polymorphism (test/codegen/polymorphism.test.ts); an example matching two subtypes is refused with its pointer, never a crash', async () => {
    const poly = (examples: string) => `asyncapi: 3.0.0
info: { title: Poly, version: 1.0.0 }
channels:
  vehicles:
    messages:
      vehicle:
        payload: { $ref: '#/components/schemas/Vehicle' }
components:
  schemas:
    Vehicle:
      type: object
      properties: { kind: { type: string } }
      oneOf: [{ $ref: '#/components/schemas/Car' }, { $ref: '#/components/schemas/Bike' }]${examples}
    Car:
      allOf: [{ $ref: '#/components/schemas/Vehicle' }, { properties: { doors: { type: integer } } }]
    Bike:
      allOf: [{ $ref: '#/components/schemas/Vehicle' }, { properties: { gears: { type: integer } } }]
`;
    const g = await generate('poly.yaml', poly(''));
    generated.push(g.out);
    expect(g.warnings.join('')).toContain('poly.yaml#/components/schemas/Vehicle: its oneOf lists subtypes');
    // Without a const telling Car from Bike, { kind: car } is both: draft-07's oneOf refuses it.
    const error = await refusal('poly-example.yaml', poly('\n      examples: [{ kind: car }]'));
    expect(isCodegenError(error), String(error)).toBe(true);
    if (!isCodegenError(error)) return;
    expect(error.pointer).toBe('/components/schemas/Vehicle/examples/0');
    expect(error.message).toMatch(/exactly one schema in oneOf/);
  });

  it('YAML is read as the parser reads it (a flow mapping indented less than its key)', async () => {
    const g = await generate(
      'flow.yaml',
      `asyncapi: 3.0.0
info: { title: Flow, version: 1.0.0 }
channels:
  things:
    messages:
      thing:
        payload: {
  "type": "object",
  "properties": { "n": { "type": "integer" } }
}
`,
    );
    generated.push(g.out);
    expect(g.file('registry.ts')).toContain('key: "things",');
  });

  it('every generated output type-checks strict', () => {
    expect(typeErrors()).toEqual([]);
  }, 120_000);
});
