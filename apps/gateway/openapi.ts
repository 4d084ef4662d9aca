/**
 * The OpenAPI 3.1 document and the HTML docs page, both built from the registry at start-up (never by
 * hand): one `POST /events/<tokens>` per event, one `POST /commands/<tokens>` per command, each with the
 * payload's JSON Schema (its `definitions` moved under `components.schemas`) and its first example.
 */
import type { EventDefinition, JsonSchema, Registry } from 'bloodbank/registry.js';
import { entryPath, parameterSchema, routingKeyTemplate, toolNameOf } from '../shared/entries.js';

type Obj = Record<string, unknown>;

/**
 * The publishing path of an entry: its tokens for a routing key of our grammar (`/events/llm/prompt`),
 * else its key as one segment (`/events/lightTurnOn`, a document we did not write).
 */
export function eventPath(def: Pick<EventDefinition, 'key' | 'tokens'>, base = '/events'): string {
  return entryPath(def, base) ?? `${base}/${def.key}`;
}

/** Query names the publishing routes read themselves; an address parameter of that name is not served. */
export const RESERVED_QUERY = ['wait', 'timeout_ms', 'routing_key'] as const;

/**
 * The query parameters of an entry's route: one per `{param}` of its address (string; enum, default and
 * description from the document; required unless it has a default), and `routing_key` for `address: null`.
 */
export function addressQuery(def: EventDefinition): Obj[] {
  const params = (def.parameters ?? []).map((p) => ({
    name: p.name,
    in: 'query',
    required: p.default === undefined,
    description:
      `${p.description ? `${p.description} ` : ''}Fills {${p.name}} of the address ${def.address ?? ''}; ` +
      'must not be empty nor contain a character that would break topic routing (the pattern; 400 naming the parameter).',
    schema: parameterSchema(def, p),
    ...(p.examples?.[0] !== undefined ? { example: p.examples[0] } : {}),
  }));
  if (def.address === null)
    params.push({
      name: 'routing_key',
      in: 'query',
      required: true,
      description:
        "The routing key to publish with: the channel has no address (address: null). Up to 255 bytes, no '*' or '#'.",
      schema: { type: 'string', minLength: 1, pattern: '^[^*#]+$' },
    });
  return params;
}

/** What the route's description adds for a document we did not write: channel, address, headers. */
function addressNote(def: EventDefinition): string {
  if (def.address === undefined && def.channelId === undefined) return '';
  const lines = [
    def.channelId !== undefined
      ? `Channel \`${def.channelId}\`${def.messageId ? `, message \`${def.messageId}\`` : ''}.`
      : '',
    `Routing key: \`${routingKeyTemplate(def)}\`${def.parameters?.length ? ' (placeholders filled from the query parameters)' : ''}.`,
    def.headers ? 'The message declares headers (its `headers` schema); the gateway does not set them.' : '',
  ];
  return `\n\n${lines.filter((l) => l !== '').join(' ')}`;
}

/** Copy `schema`, rewriting `#/definitions/X` refs to `#/components/schemas/<prefix>X`; collects those definitions. */
function hoist(schema: JsonSchema, prefix: string, into: Obj): JsonSchema {
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    const out: Obj = {};
    for (const [k, v] of Object.entries(value as Obj)) {
      if (k === '$schema' || k === '$id' || k === 'definitions') continue;
      out[k] =
        k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/')
          ? `#/components/schemas/${prefix}${v.slice('#/definitions/'.length)}`
          : rewrite(v);
    }
    return out;
  };
  if (typeof schema === 'object') {
    const defs = (schema as Obj)['definitions'];
    if (typeof defs === 'object' && defs !== null)
      for (const [name, def] of Object.entries(defs as Obj)) into[`${prefix}${name}`] = rewrite(def);
  }
  return rewrite(schema) as JsonSchema;
}

const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          in: { enum: ['body', 'header'] },
          header: { type: 'string' },
          pointer: { type: 'string', description: 'JSON pointer into the body (or the header value)' },
          rule: { type: 'string', description: 'The JSON Schema keyword that failed' },
          message: { type: 'string' },
        },
      },
    },
  },
};

const r = (description: string, ref = 'Error') => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});

const HEADERS = [
  ['X-Bloodbank-App', 'source.app of the envelope (default http-client)'],
  ['X-Bloodbank-Parent-Ids', 'Comma-separated parent (causation) event ids'],
  ['X-Bloodbank-Idempotency-Key', 'Deterministic event id: the same key publishes the same event_id'],
  ['X-Bloodbank-Agent-Context', 'base64 of a JSON AgentContext object'],
].map(([name, description]) => ({
  name,
  in: 'header',
  required: false,
  description,
  schema: { type: 'string' },
}));

export function buildOpenApi(registry: Registry, info: { title?: string; version?: string } = {}): Obj {
  const schemas: Obj = {
    Error: errorSchema,
    Accepted: {
      type: 'object',
      required: ['event_id', 'event_type'],
      properties: { event_id: { type: 'string', format: 'uuid' }, event_type: { type: 'string' } },
    },
  };
  const paths: Obj = {};
  const common = {
    '400': r('Invalid body or headers: every failing JSON pointer and rule'),
    '401': r('No API key, or an unknown one'),
    '403': r('The key may not publish this event type'),
    '413': r('Body over BLOODBANK_BODY_LIMIT'),
    '422': r('No queue is bound for the event type (nothing was delivered)'),
    '429': r('Rate limit of the key exceeded'),
    '503': r('Broker down or blocking publishers: nothing was accepted; see Retry-After'),
  };
  for (const def of registry.list()) {
    const name = def.typeName;
    schemas[name] = hoist(def.schema, `${name}_`, schemas);
    const body = {
      required: true,
      content: {
        'application/json': {
          schema: { $ref: `#/components/schemas/${name}` },
          ...(def.examples[0] !== undefined ? { example: def.examples[0] } : {}),
        },
      },
    };
    paths[eventPath(def)] = {
      post: {
        operationId: `publish_${toolNameOf(def.key)}`,
        summary: def.title,
        description: def.description + addressNote(def),
        tags: [def.domain],
        parameters: [...HEADERS, ...addressQuery(def)],
        requestBody: body,
        responses: { '202': r('Confirmed by the broker', 'Accepted'), ...common },
        security: [{ bearer: [] }, { apiKey: [] }],
      },
    };
    if (def.kind === 'command')
      paths[eventPath(def, '/commands')] = {
        post: {
          operationId: `command_${toolNameOf(def.key)}`,
          summary: `Run ${def.key}`,
          description: `${def.description}\n\nWith \`?wait=true\` the gateway waits for the reply (${def.replyKey ?? 'none'}) up to \`timeout_ms\`.`,
          tags: [def.domain, 'commands'],
          parameters: [
            ...HEADERS,
            ...addressQuery(def),
            { name: 'wait', in: 'query', schema: { type: 'boolean' } },
            { name: 'timeout_ms', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 300000 } },
          ],
          requestBody: body,
          responses: {
            '200': { description: `The reply (${def.replyKey ?? 'none'}) with ?wait=true` },
            '202': r('Command confirmed by the broker', 'Accepted'),
            '502': r(`The command failed (${def.errorKey ?? 'failure event'})`),
            '504': r('No reply within timeout_ms (the command may still run)'),
            ...common,
          },
          security: [{ bearer: [] }, { apiKey: [] }],
        },
      };
  }
  paths['/events/custom'] = {
    post: {
      summary: 'Publish a full envelope (the original /events/custom, now validated)',
      tags: ['compat'],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        '200': {
          description: '{"status":"published","event_id":…} once confirmed',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { status: { const: 'published' }, event_id: { type: 'string' } },
              },
            },
          },
        },
        ...common,
      },
    },
  };
  const get = (summary: string, tags = ['gateway']) => ({
    get: { summary, tags, responses: { '200': { description: 'OK' } } },
  });
  paths['/events'] = get('Domains and event types with their kinds');
  paths['/events/{type}/schema'] = {
    get: {
      summary: "An event's payload JSON Schema",
      tags: ['gateway'],
      parameters: [{ name: 'type', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'JSON Schema' }, '404': r('Unknown event type') },
    },
  };
  paths['/debug/correlation/{event_id}'] = get('Parents, children and metadata of an event', ['correlation']);
  paths['/debug/correlation/{event_id}/chain'] = get('Ancestors or descendants (?direction=)', [
    'correlation',
  ]);
  paths['/debug/correlation/{event_id}/dump'] = get('Everything known about an event', ['correlation']);
  paths['/webhooks/fireflies'] = {
    post: {
      summary: 'Fireflies transcript webhook (X-Hub-Signature: sha256=<HMAC>) → fireflies.transcript.ready',
      tags: ['webhooks'],
      responses: {
        '202': r('Published', 'Accepted'),
        '401': r('Bad signature'),
        '422': r('Unmappable body (fireflies.transcript.failed published)'),
      },
    },
  };
  paths['/ws/events'] = get(
    'WebSocket stream of live events (?pattern=fireflies.%23; # must be written %23)',
    ['stream'],
  );
  paths['/healthz'] = get('Liveness');
  paths['/readyz'] = get('Readiness (RabbitMQ and Redis); 503 when the broker is down');
  paths['/metrics'] = get('Prometheus metrics');
  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'Bloodbank gateway',
      version: info.version ?? '0.1.0',
      description:
        'Typed HTTP ingress to the Bloodbank event bus. Every route under /events and /commands is generated from the event registry.',
    },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    paths,
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `?name=value&…` with each parameter's default, first example or first enum value (docs' curl lines). */
function queryExample(def: EventDefinition): string {
  const pairs = (def.parameters ?? []).map(
    (p) => [p.name, p.default ?? p.examples?.[0] ?? p.enum?.[0] ?? `<${p.name}>`] as const,
  );
  if (def.address === null) pairs.push(['routing_key', '<routing key>']);
  return pairs.length === 0
    ? ''
    : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}

/** Channel, address and parameters of an entry from a document we did not write (empty for ours). */
function addressHtml(def: EventDefinition): string {
  if (def.address === undefined && def.channelId === undefined) return '';
  const params = (def.parameters ?? []).map(
    (p) =>
      `<li><code>${esc(p.name)}</code>${p.enum ? ` one of ${p.enum.map((v) => `<code>${esc(v)}</code>`).join(', ')}` : ''}${p.default !== undefined ? `, default <code>${esc(p.default)}</code>` : ''}${p.description ? ` — ${esc(p.description)}` : ''}</li>`,
  );
  return `<p>Channel <code>${esc(def.channelId ?? def.key)}</code>${def.messageId ? `, message <code>${esc(def.messageId)}</code>` : ''}; address <code>${esc(def.address === null ? 'null (pass ?routing_key=)' : (def.address ?? def.key))}</code>.</p>${params.length ? `<p>Query parameters:</p><ul>${params.join('')}</ul>` : ''}`;
}

/** A self-contained HTML page (no external assets) listing every route built from the registry. */
export function buildDocsPage(registry: Registry, baseUrl = ''): string {
  const sections = registry.listDomains().map((domain) => {
    const items = registry
      .list()
      .filter((d) => d.domain === domain)
      .map((d) => {
        const example = JSON.stringify(d.examples[0] ?? {}, null, 2);
        const query = queryExample(d);
        const curl = `curl -X POST '${baseUrl}${eventPath(d)}${query}' \\\n  -H 'Authorization: Bearer $BLOODBANK_API_KEY' \\\n  -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify(d.examples[0] ?? {}).replace(/'/g, "'\\''")}'`;
        return `<section id="${esc(d.key)}"><h3><code>POST ${esc(eventPath(d))}</code> <span class="kind ${d.kind}">${d.kind}</span></h3>
<p>${esc(d.description)}</p>
${addressHtml(d)}
${d.kind === 'command' ? `<p>Also <code>POST ${esc(eventPath(d, '/commands'))}?wait=true</code>: waits for <code>${esc(d.replyKey ?? '')}</code> (failure: <code>${esc(d.errorKey ?? '')}</code>).</p>` : ''}
<p><a href="${baseUrl}/events/${esc(d.key)}/schema">JSON Schema</a></p>
<details><summary>Example payload and curl</summary><pre>${esc(example)}</pre><pre>${esc(curl)}</pre></details></section>`;
      });
    return `<h2>${esc(domain)}</h2>${items.join('\n')}`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bloodbank gateway</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code,pre{font:13px ui-monospace,monospace}pre{background:#f4f4f4;padding:.6rem;overflow:auto}.kind{font-size:12px;padding:1px 6px;border-radius:4px;background:#e0ecff}.kind.command{background:#ffe6c7}section{border-top:1px solid #ddd;padding:.4rem 0}</style></head>
<body><h1>Bloodbank gateway</h1>
<p>Every route below is generated from the event registry (${registry.list().length} event types). The body is the payload; the gateway builds the envelope and answers <code>202 {"event_id","event_type"}</code> once the broker confirmed. Errors carry every failing JSON pointer and rule. Send the API key as <code>Authorization: Bearer &lt;key&gt;</code> or <code>X-API-Key</code>.</p>
<p><a href="${baseUrl}/openapi.json">openapi.json</a> · <a href="${baseUrl}/events">/events</a> · live stream: <code>ws://…/ws/events?pattern=fireflies.%23</code> (write <code>#</code> as <code>%23</code>: a raw # starts the URL fragment and never reaches the server)</p>
${sections.join('\n')}</body></html>`;
}
