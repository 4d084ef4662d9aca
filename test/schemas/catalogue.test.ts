/**
 * The event catalogue as data: schemas/**, asyncapi.yaml and the original's wire fixtures agree with each other.
 * Schemas are compiled with ajv at test time (the generated validators are tested elsewhere).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser, fromFile } from '@asyncapi/parser';
import { Ajv, type ErrorObject, type Format } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const addFormats = (require('ajv-formats') as { default: (ajv: Ajv) => Ajv }).default;
const { fullFormats } = require('ajv-formats/dist/formats') as { fullFormats: Record<string, Format> };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMAS = join(ROOT, 'schemas');
const FIXTURES = join(ROOT, 'test/fixtures/original');
const BASE = 'https://bloodbank.dev/schemas/';
const ENVELOPE_ID = `${BASE}_common/envelope.json`;

function listJson(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) =>
      d.isDirectory() ? listJson(join(dir, d.name)) : d.name.endsWith('.json') ? [join(dir, d.name)] : [],
    )
    .sort();
}
const readJson = (file: string): Obj => JSON.parse(readFileSync(file, 'utf8')) as Obj;
const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Schema files by their path under schemas/ (posix), e.g. `fireflies/transcript.ready.json`. */
const schemaFiles = listJson(SCHEMAS).map((file) => ({
  path: relative(SCHEMAS, file).split(sep).join('/'),
  schema: readJson(file),
}));
/** Files or folders whose name starts with `_` are shared parts, not events. */
const isEventPath = (path: string): boolean => !path.split('/').some((seg) => seg.startsWith('_'));
const keyOf = (path: string): string => path.replace(/\.json$/, '').replace('/', '.');
const pathOf = (key: string): string => {
  const [domain, ...rest] = key.split('.');
  return `${domain}/${rest.join('.')}.json`;
};
const eventFiles = schemaFiles.filter((f) => isEventPath(f.path));
const eventKeys = eventFiles.map((f) => keyOf(f.path));

/**
 * ajv-formats' `date-time` is RFC 3339 and requires a timezone; the original produced naive datetimes
 * (`datetime.utcnow()`), which consumers must accept, so the relaxed instance uses `iso-date-time`
 * (timezone optional) for `date-time`, as the consume validators do.
 */
function makeAjv({ relaxedDateTime = false } = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  if (relaxedDateTime) ajv.addFormat('date-time', fullFormats['iso-date-time'] as Format);
  for (const { schema } of schemaFiles) ajv.addSchema(schema);
  return ajv;
}
const strict = makeAjv();
const relaxed = makeAjv({ relaxedDateTime: true });

function validatorFor(ajv: Ajv, id: string) {
  const validate = ajv.getSchema(id);
  if (!validate) throw new Error(`no schema with $id ${id}`);
  return validate;
}
/** The whole message as asyncapi.yaml declares it: the envelope, with event_type and payload bound. */
function messageValidator(ajv: Ajv, key: string) {
  return ajv.compile({
    allOf: [
      { $ref: ENVELOPE_ID },
      { type: 'object', properties: { event_type: { const: key }, payload: { $ref: BASE + pathOf(key) } } },
    ],
  });
}

function examplesOf(schema: Obj): Obj[] {
  const examples = schema['examples'];
  return Array.isArray(examples) ? examples.filter(isObj) : [];
}
const exampleOf = (key: string): Obj => {
  const file = eventFiles.find((f) => f.path === pathOf(key));
  const example = file && examplesOf(file.schema)[0];
  if (!example) throw new Error(`no example for ${key}`);
  return structuredClone(example);
};

interface Want {
  instancePath: string;
  keyword: string;
  missingProperty?: string;
}
const matches = (e: ErrorObject, want: Want): boolean =>
  e.instancePath === want.instancePath &&
  e.keyword === want.keyword &&
  (want.missingProperty === undefined ||
    (e.params as { missingProperty?: string }).missingProperty === want.missingProperty);

const long = (n: number): string => 'x'.repeat(n);
const many = (n: number, item: Json): Json[] => Array.from({ length: n }, () => item);

/** One or more broken copies per event: [routing key, what breaks, {mutate, want}]. */
const broken: Array<[string, string, { mutate: (ex: Obj) => void; want: Want }]> = [
  [
    'agent.thread.prompt',
    'prompt removed',
    {
      mutate: (ex) => delete ex['prompt'],
      want: { instancePath: '', keyword: 'required', missingProperty: 'prompt' },
    },
  ],
  [
    'agent.thread.response',
    'response over 1,000,000 chars',
    {
      mutate: (ex) => (ex['response'] = long(1_000_001)),
      want: { instancePath: '/response', keyword: 'maxLength' },
    },
  ],
  [
    'agent.thread.error',
    'negative retry_count',
    { mutate: (ex) => (ex['retry_count'] = -1), want: { instancePath: '/retry_count', keyword: 'minimum' } },
  ],
  [
    'artifact.created',
    'action of another key',
    { mutate: (ex) => (ex['action'] = 'deleted'), want: { instancePath: '/action', keyword: 'const' } },
  ],
  [
    'artifact.deleted',
    'unknown field',
    { mutate: (ex) => (ex['flag'] = true), want: { instancePath: '', keyword: 'additionalProperties' } },
  ],
  [
    'artifact.ingestion.failed',
    'error_message over 65,536 chars',
    {
      mutate: (ex) => (ex['error_message'] = long(65_537)),
      want: { instancePath: '/error_message', keyword: 'maxLength' },
    },
  ],
  [
    'artifact.updated',
    'uri removed',
    {
      mutate: (ex) => delete ex['uri'],
      want: { instancePath: '', keyword: 'required', missingProperty: 'uri' },
    },
  ],
  [
    'fireflies.transcript.failed',
    'unknown failed_stage',
    {
      mutate: (ex) => (ex['failed_stage'] = 'download'),
      want: { instancePath: '/failed_stage', keyword: 'enum' },
    },
  ],
  [
    'fireflies.transcript.processed',
    'fractional sentence_count',
    {
      mutate: (ex) => (ex['sentence_count'] = 2.5),
      want: { instancePath: '/sentence_count', keyword: 'type' },
    },
  ],
  [
    'fireflies.transcript.ready',
    'duration over 86,400 minutes',
    { mutate: (ex) => (ex['duration'] = 86_401), want: { instancePath: '/duration', keyword: 'maximum' } },
  ],
  [
    'fireflies.transcript.ready',
    'unknown sentiment in a nested sentence',
    {
      mutate: (ex) => {
        const sentences = ex['sentences'] as Obj[];
        (sentences[1]?.['ai_filters'] as Obj)['sentiment'] = 'happy';
      },
      want: { instancePath: '/sentences/1/ai_filters/sentiment', keyword: 'enum' },
    },
  ],
  [
    'fireflies.transcript.ready',
    'more than 50,000 sentences',
    {
      mutate: (ex) => (ex['sentences'] = many(50_001, (ex['sentences'] as Json[])[0] ?? null)),
      want: { instancePath: '/sentences', keyword: 'maxItems' },
    },
  ],
  [
    'fireflies.transcript.ready',
    'user.is_admin removed',
    {
      mutate: (ex) => delete (ex['user'] as Obj)['is_admin'],
      want: { instancePath: '/user', keyword: 'required', missingProperty: 'is_admin' },
    },
  ],
  [
    'fireflies.transcript.upload',
    'fractional media_duration_seconds',
    {
      mutate: (ex) => (ex['media_duration_seconds'] = 1.5),
      want: { instancePath: '/media_duration_seconds', keyword: 'type' },
    },
  ],
  [
    'github.pr.created',
    'unknown cache_type',
    { mutate: (ex) => (ex['cache_type'] = 's3'), want: { instancePath: '/cache_type', keyword: 'enum' } },
  ],
  [
    'llm.error',
    'provider removed',
    {
      mutate: (ex) => delete ex['provider'],
      want: { instancePath: '', keyword: 'required', missingProperty: 'provider' },
    },
  ],
  [
    'llm.prompt',
    'temperature above 2',
    { mutate: (ex) => (ex['temperature'] = 2.5), want: { instancePath: '/temperature', keyword: 'maximum' } },
  ],
  [
    'llm.response',
    'negative tokens_used',
    { mutate: (ex) => (ex['tokens_used'] = -1), want: { instancePath: '/tokens_used', keyword: 'minimum' } },
  ],
  [
    'theboard.meeting.comment_extracted',
    'category removed',
    {
      mutate: (ex) => delete ex['category'],
      want: { instancePath: '', keyword: 'required', missingProperty: 'category' },
    },
  ],
  [
    'theboard.meeting.completed',
    'convergence_detected as a string',
    {
      mutate: (ex) => (ex['convergence_detected'] = 'yes'),
      want: { instancePath: '/convergence_detected', keyword: 'type' },
    },
  ],
  [
    'theboard.meeting.converged',
    'total_comments as a string',
    {
      mutate: (ex) => (ex['total_comments'] = 'many'),
      want: { instancePath: '/total_comments', keyword: 'type' },
    },
  ],
  [
    'theboard.meeting.created',
    'meeting_id not a uuid',
    {
      mutate: (ex) => (ex['meeting_id'] = 'meeting-1'),
      want: { instancePath: '/meeting_id', keyword: 'format' },
    },
  ],
  [
    'theboard.meeting.failed',
    'fractional round_num',
    { mutate: (ex) => (ex['round_num'] = 1.5), want: { instancePath: '/round_num', keyword: 'type' } },
  ],
  [
    'theboard.meeting.participant.added',
    'agent_id not a uuid',
    { mutate: (ex) => (ex['agent_id'] = 'abc'), want: { instancePath: '/agent_id', keyword: 'format' } },
  ],
  [
    'theboard.meeting.participant.turn.completed',
    'response_text removed',
    {
      mutate: (ex) => delete ex['response_text'],
      want: { instancePath: '', keyword: 'required', missingProperty: 'response_text' },
    },
  ],
  [
    'theboard.meeting.round_completed',
    'negative cost',
    { mutate: (ex) => (ex['cost'] = -0.01), want: { instancePath: '/cost', keyword: 'minimum' } },
  ],
  [
    'theboard.meeting.started',
    'more than 1,000 selected agents',
    {
      mutate: (ex) => (ex['selected_agents'] = many(1001, 'agent')),
      want: { instancePath: '/selected_agents', keyword: 'maxItems' },
    },
  ],
];

/** Broken copies of a wire envelope (the agent.thread.response fixture). */
const brokenEnvelopes: Array<[string, { mutate: (env: Obj) => void; want: Want }]> = [
  [
    'event_type removed',
    {
      mutate: (env) => delete env['event_type'],
      want: { instancePath: '', keyword: 'required', missingProperty: 'event_type' },
    },
  ],
  [
    'event_type with an uppercase token',
    {
      mutate: (env) => (env['event_type'] = 'Agent.thread.response'),
      want: { instancePath: '/event_type', keyword: 'pattern' },
    },
  ],
  [
    'event_type with a wildcard',
    {
      mutate: (env) => (env['event_type'] = 'agent.thread.#'),
      want: { instancePath: '/event_type', keyword: 'pattern' },
    },
  ],
  [
    'event_type with 7 tokens',
    {
      mutate: (env) => (env['event_type'] = 'a.b.c.d.e.f.g'),
      want: { instancePath: '/event_type', keyword: 'pattern' },
    },
  ],
  [
    'unknown trigger type',
    {
      mutate: (env) => ((env['source'] as Obj)['type'] = 'cron'),
      want: { instancePath: '/source/type', keyword: 'enum' },
    },
  ],
  [
    'source.host removed',
    {
      mutate: (env) => delete (env['source'] as Obj)['host'],
      want: { instancePath: '/source', keyword: 'required', missingProperty: 'host' },
    },
  ],
  [
    'more than 256 correlation ids',
    {
      mutate: (env) => (env['correlation_ids'] = many(257, '9b2d5c3e-8f14-4a6b-9c7d-2e1f0a3b4c5d')),
      want: { instancePath: '/correlation_ids', keyword: 'maxItems' },
    },
  ],
  [
    'correlation id not a uuid',
    {
      mutate: (env) => (env['correlation_ids'] = ['parent-1']),
      want: { instancePath: '/correlation_ids/0', keyword: 'format' },
    },
  ],
  [
    'unknown agent type',
    {
      mutate: (env) => ((env['agent_context'] as Obj)['type'] = 'gpt'),
      want: { instancePath: '/agent_context/type', keyword: 'enum' },
    },
  ],
  [
    'version over 32 chars',
    {
      mutate: (env) => (env['version'] = long(33)),
      want: { instancePath: '/version', keyword: 'maxLength' },
    },
  ],
  [
    'unknown envelope field',
    {
      mutate: (env) => (env['correlation_id'] = null),
      want: { instancePath: '', keyword: 'additionalProperties' },
    },
  ],
  [
    'payload missing its required field',
    {
      mutate: (env) => delete (env['payload'] as Obj)['response'],
      want: { instancePath: '/payload', keyword: 'required', missingProperty: 'response' },
    },
  ],
];

/** Required fields per event, from the original's field tables (reference §1.4, §1.6): fields without a default. */
const REQUIRED: Record<string, string[]> = {
  'agent.thread.error': ['provider', 'error_message'],
  'agent.thread.prompt': ['provider', 'prompt'],
  'agent.thread.response': ['provider', 'response'],
  'artifact.created': ['kind', 'uri'],
  'artifact.deleted': ['kind', 'uri'],
  'artifact.ingestion.failed': ['artifact_uri', 'artifact_kind', 'error_message'],
  'artifact.updated': ['kind', 'uri'],
  'fireflies.transcript.failed': ['failed_stage', 'error_message'],
  'fireflies.transcript.processed': [
    'transcript_id',
    'rag_document_id',
    'title',
    'ingestion_timestamp',
    'sentence_count',
    'speaker_count',
    'duration_minutes',
    'vector_store',
  ],
  'fireflies.transcript.ready': [
    'id',
    'title',
    'date',
    'duration',
    'transcript_url',
    'sentences',
    'user',
    'host_email',
    'organizer_email',
    'privacy',
  ],
  'fireflies.transcript.upload': ['media_file', 'media_duration_seconds', 'media_type'],
  'github.pr.created': ['cache_key'],
  'llm.error': ['provider', 'error_message'],
  'llm.prompt': ['provider', 'prompt'],
  'llm.response': ['provider', 'response'],
  'theboard.meeting.comment_extracted': [
    'meeting_id',
    'round_num',
    'agent_name',
    'comment_text',
    'category',
    'novelty_score',
  ],
  'theboard.meeting.completed': [
    'meeting_id',
    'total_rounds',
    'total_comments',
    'total_cost',
    'convergence_detected',
    'stopping_reason',
  ],
  'theboard.meeting.converged': [
    'meeting_id',
    'round_num',
    'avg_novelty',
    'novelty_threshold',
    'total_comments',
  ],
  'theboard.meeting.created': ['meeting_id', 'topic', 'strategy', 'max_rounds'],
  'theboard.meeting.failed': ['meeting_id', 'error_type', 'error_message'],
  'theboard.meeting.participant.added': ['meeting_id', 'agent_id', 'agent_name', 'expertise'],
  'theboard.meeting.participant.turn.completed': [
    'meeting_id',
    'round_num',
    'agent_id',
    'agent_name',
    'turn_type',
    'response_text',
    'tokens_used',
  ],
  'theboard.meeting.round_completed': [
    'meeting_id',
    'round_num',
    'agent_name',
    'response_length',
    'comment_count',
    'avg_novelty',
    'tokens_used',
    'cost',
  ],
  'theboard.meeting.started': ['meeting_id', 'selected_agents', 'agent_count'],
};

const fixtureFiles = listJson(FIXTURES).map((file) => ({
  name: relative(FIXTURES, file),
  env: readJson(file),
}));
const SPECIAL_FIXTURES = ['heartbeat-trigger.json', 'naive-timestamp.json'];
/** Fields added after the original: its wire never carried them (defaults fill them). */
const ADDED_AFTER_ORIGINAL: Record<string, string[]> = {
  'llm.prompt': ['temperature', 'tools', 'metadata'],
  'llm.response': ['usage', 'metadata'],
};

describe('schema files', () => {
  it('finds the catalogue', () => {
    expect(eventFiles.length).toBe(24);
    expect(schemaFiles.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        '_common/agent-context.json',
        '_common/code-state.json',
        '_common/envelope.json',
        '_common/enums.json',
        '_common/source.json',
        'fireflies/_defs.json',
      ]),
    );
  });

  it.each(schemaFiles.map((f) => [f.path, f.schema] as const))(
    '%s: $id is the base URL + its path, draft-07',
    (path, schema) => {
      expect(schema['$id']).toBe(BASE + path);
      expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    },
  );

  it.each(schemaFiles.map((f) => [f.path, f.schema] as const))(
    '%s: every $ref is relative and resolves',
    (path, schema) => {
      const refs: string[] = [];
      const walk = (node: Json): void => {
        if (Array.isArray(node)) node.forEach(walk);
        else if (isObj(node)) {
          if (typeof node['$ref'] === 'string') refs.push(node['$ref']);
          Object.entries(node).forEach(([k, v]) => k !== 'examples' && walk(v));
        }
      };
      walk(schema);
      for (const ref of refs) {
        expect(ref, `${path}: ${ref}`).not.toMatch(/^[a-z]+:/);
        const url = new URL(ref, BASE + path);
        const target = url.href.slice(0, url.href.length - url.hash.length);
        expect(target.startsWith(BASE), `${path}: ${ref}`).toBe(true);
        const file = join(SCHEMAS, target.slice(BASE.length));
        expect(existsSync(file), `${path}: ${ref} → ${file}`).toBe(true);
        let node: Json = readJson(file);
        for (const seg of url.hash.replace(/^#\/?/, '').split('/').filter(Boolean))
          node = isObj(node) ? (node[seg] ?? null) : null;
        expect(node, `${path}: ${ref} does not resolve`).not.toBeNull();
      }
    },
  );

  it.each(schemaFiles.filter((f) => isObj(f.schema['definitions'])).map((f) => [f.path, f.schema] as const))(
    '%s: every definition is titled by its name',
    (_path, schema) => {
      for (const [name, def] of Object.entries(schema['definitions'] as Obj))
        expect((def as Obj)['title']).toBe(name);
    },
  );

  it('the envelope carries the x-bloodbank-envelope marker', () => {
    expect(schemaFiles.find((f) => f.path === '_common/envelope.json')?.schema['x-bloodbank-envelope']).toBe(
      true,
    );
  });

  /** Every string has a maxLength, every array a maxItems, every object is closed unless it is free-form. */
  it.each(schemaFiles.map((f) => [f.path, f.schema] as const))(
    '%s: every string and array is bounded',
    (path, schema) => {
      const problems: string[] = [];
      const walk = (node: Json, pointer: string): void => {
        if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${pointer}/${i}`));
        if (!isObj(node)) return;
        const types = ([] as Json[]).concat(node['type'] ?? []);
        const closedOrOpen =
          node['additionalProperties'] === false ||
          /\/(metadata|meta|raw_meeting_info|usage|payload)$/.test(pointer);
        if (
          types.includes('string') &&
          !('enum' in node) &&
          !('const' in node) &&
          !('format' in node) &&
          !('maxLength' in node)
        )
          problems.push(`${pointer}: string without maxLength`);
        if (types.includes('array') && !('maxItems' in node))
          problems.push(`${pointer}: array without maxItems`);
        if (types.includes('object') && !closedOrOpen)
          problems.push(`${pointer}: object neither closed nor free-form`);
        for (const [k, v] of Object.entries(node)) if (k !== 'examples') walk(v, `${pointer}/${k}`);
      };
      walk(schema, '');
      expect(problems, path).toEqual([]);
    },
  );

  it.each(eventFiles.map((f) => [keyOf(f.path), f.schema] as const))(
    '%s: documented, closed, defaults not required',
    (_key, schema) => {
      expect(schema['title']).toEqual(expect.any(String));
      expect(String(schema['description']).length).toBeGreaterThan(20);
      expect(schema['additionalProperties']).toBe(false);
      expect(examplesOf(schema).length).toBeGreaterThan(0);
      const properties = schema['properties'] as Obj;
      const required = (schema['required'] ?? []) as string[];
      for (const [name, prop] of Object.entries(properties)) {
        expect((prop as Obj)['description'], name).toEqual(expect.any(String));
        if ('default' in (prop as Obj)) expect(required, name).not.toContain(name);
      }
      for (const example of examplesOf(schema))
        expect(Object.keys(example).sort()).toEqual(Object.keys(properties).sort());
    },
  );
  it.each(eventFiles.map((f) => [keyOf(f.path), f.schema] as const))(
    "%s: required fields are exactly the original's fields without a default",
    (key, schema) => {
      expect([...((schema['required'] ?? []) as string[])].sort()).toEqual(
        [...(REQUIRED[key] ?? ['<missing>'])].sort(),
      );
    },
  );
});

describe('examples and broken copies', () => {
  const cases = eventFiles.flatMap((f) =>
    examplesOf(f.schema).map((ex, i) => [`${keyOf(f.path)} #${i}`, f.schema['$id'] as string, ex] as const),
  );
  it.each(cases)('%s validates against its own schema', (_name, id, example) => {
    const validate = validatorFor(strict, id);
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });

  it('every event has at least one broken case', () => {
    expect(new Set(broken.map(([key]) => key))).toEqual(new Set(eventKeys));
  });

  it.each(broken)('%s: %s is rejected', (key, _what, { mutate, want }) => {
    const example = exampleOf(key);
    mutate(example);
    const validate = validatorFor(strict, BASE + pathOf(key));
    expect(validate(example)).toBe(false);
    expect(
      validate.errors?.some((e) => matches(e, want)),
      JSON.stringify(validate.errors?.slice(0, 5)),
    ).toBe(true);
  });

  it('defaults are not required: the minimal llm.prompt and artifact.created validate', () => {
    expect(validatorFor(strict, BASE + 'llm/prompt.json')({ provider: 'openai', prompt: 'hi' })).toBe(true);
    expect(validatorFor(strict, BASE + 'artifact/created.json')({ kind: 'file', uri: '/tmp/a' })).toBe(true);
  });
});

describe('the original wire fixtures', () => {
  const perKey = fixtureFiles.filter((f) => !SPECIAL_FIXTURES.includes(f.name));

  it('there is one fixture per routing key, named after it, plus the special ones', () => {
    expect(perKey.map((f) => f.name.replace(/\.json$/, '')).sort()).toEqual([...eventKeys].sort());
    for (const f of perKey) expect(f.env['event_type'], f.name).toBe(f.name.replace(/\.json$/, ''));
    expect(fixtureFiles.map((f) => f.name)).toEqual(expect.arrayContaining(SPECIAL_FIXTURES));
  });

  it.each(fixtureFiles.filter((f) => f.name !== 'naive-timestamp.json').map((f) => [f.name, f.env] as const))(
    '%s validates as envelope + its payload schema',
    (_name, env) => {
      const validate = messageValidator(strict, String(env['event_type']));
      expect(validate(env), JSON.stringify(validate.errors)).toBe(true);
    },
  );

  it.each(perKey.map((f) => [f.name, f.env] as const))('%s is in the original wire format', (_name, env) => {
    const envelopeProps = Object.keys(
      (schemaFiles.find((f) => f.path === '_common/envelope.json')?.schema['properties'] ?? {}) as Obj,
    );
    expect(Object.keys(env)).toEqual(envelopeProps);
    expect(env['timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(Object.keys(env['source'] as Obj)).toEqual(['host', 'type', 'app', 'meta']);
    for (const id of [env['event_id'], ...(env['correlation_ids'] as Json[])])
      expect(id).toBe(String(id).toLowerCase());
    const key = String(env['event_type']);
    const props = Object.keys(
      (eventFiles.find((f) => f.path === pathOf(key))?.schema['properties'] ?? {}) as Obj,
    );
    const emitted = props.filter((p) => !(ADDED_AFTER_ORIGINAL[key] ?? []).includes(p));
    expect(Object.keys(env['payload'] as Obj).sort()).toEqual(emitted.sort());
  });

  it('agent.thread.response is what the echo command produced from agent.thread.prompt', () => {
    const command = fixtureFiles.find((f) => f.name === 'agent.thread.prompt.json')?.env as Obj;
    const response = fixtureFiles.find((f) => f.name === 'agent.thread.response.json')?.env as Obj;
    const prompt = command['payload'] as Obj;
    expect(response['correlation_ids']).toEqual([command['event_id']]);
    expect(response['agent_context']).toEqual(command['agent_context']);
    expect(response['payload']).toEqual({
      provider: prompt['provider'],
      prompt_id: command['event_id'],
      response: `Echoing your prompt: ${String(prompt['prompt'])}`,
      model: prompt['model'],
      tokens_used: 42,
      duration_ms: 100,
    });
  });

  it('heartbeat-trigger.json carries a later TriggerType, accepted by the schema', () => {
    const env = fixtureFiles.find((f) => f.name === 'heartbeat-trigger.json')?.env as Obj;
    expect((env['source'] as Obj)['type']).toBe('heartbeat');
  });

  /*
   * The original's naive datetimes (no offset) are not RFC 3339: ajv-formats' strict date-time rejects them.
   * Consumers must accept them (DESIGN.md §5), so consume-side validation relaxes date-time to ISO 8601 with
   * an optional offset; publish-side validation stays strict so that we never emit one.
   */
  it('naive-timestamp.json fails strict date-time and passes the relaxed one', () => {
    const env = fixtureFiles.find((f) => f.name === 'naive-timestamp.json')?.env as Obj;
    expect(env['timestamp']).toBe('2026-11-26T16:15:23.030243');
    const key = String(env['event_type']);
    const strictValidate = messageValidator(strict, key);
    expect(strictValidate(env)).toBe(false);
    expect(
      strictValidate.errors?.some((e) => matches(e, { instancePath: '/timestamp', keyword: 'format' })),
    ).toBe(true);
    const relaxedValidate = messageValidator(relaxed, key);
    expect(relaxedValidate(env), JSON.stringify(relaxedValidate.errors)).toBe(true);
  });

  it.each(brokenEnvelopes)('envelope: %s is rejected', (_what, { mutate, want }) => {
    const env = structuredClone(
      fixtureFiles.find((f) => f.name === 'agent.thread.response.json')?.env as Obj,
    );
    mutate(env);
    const validate = messageValidator(strict, 'agent.thread.response');
    expect(validate(env)).toBe(false);
    expect(
      validate.errors?.some((e) => matches(e, want)),
      JSON.stringify(validate.errors?.slice(0, 5)),
    ).toBe(true);
  });
});

describe('asyncapi.yaml', () => {
  const doc = parseYaml(readFileSync(join(ROOT, 'asyncapi.yaml'), 'utf8')) as Obj;
  const channels = doc['channels'] as Obj;
  const operations = doc['operations'] as Obj;
  const messages = (doc['components'] as Obj)['messages'] as Obj;

  it('has exactly one channel per event schema, sorted by routing key', () => {
    expect(Object.keys(channels)).toEqual([...eventKeys].sort());
    expect(Object.values(messages).map((m) => (m as Obj)['name'])).toEqual([...eventKeys].sort());
  });

  it.each(Object.entries(channels))(
    '%s: address, amqp binding, payload $ref to a file whose $id matches',
    (key, channel) => {
      const ch = channel as Obj;
      expect(ch['address']).toBe(key);
      expect(((ch['bindings'] as Obj)['amqp'] as Obj)['exchange']).toMatchObject({
        name: 'bloodbank.events.v1',
        type: 'topic',
        durable: true,
      });
      const [[name, ref]] = Object.entries(ch['messages'] as Obj) as [[string, Obj]];
      expect(ref['$ref']).toBe(`#/components/messages/${name}`);
      const message = messages[name] as Obj;
      expect(message['name']).toBe(key);
      const schema = (message['payload'] as Obj)['schema'] as Obj;
      const [envelopePart, bound] = schema['allOf'] as [Obj, Obj];
      expect(envelopePart['$ref']).toBe('./schemas/_common/envelope.json');
      const props = bound['properties'] as Obj;
      expect(props['event_type']).toEqual({ const: key });
      const payloadRef = String((props['payload'] as Obj)['$ref']);
      expect(payloadRef).toBe(`./schemas/${pathOf(key)}`);
      const file = join(ROOT, payloadRef);
      expect(existsSync(file)).toBe(true);
      expect(readJson(file)['$id']).toBe(BASE + pathOf(key));
      const send = operations[`send${name}`] as Obj;
      expect(send['action']).toBe('send');
      expect(send['channel']).toEqual({ $ref: `#/channels/${key}` });
      expect(send['messages']).toEqual([{ $ref: `#/channels/${key}/messages/${name}` }]);
    },
  );

  it('the command agent.thread.prompt is tagged and has a receive operation with a reply and an error event', () => {
    const commands = Object.values(messages).filter((m) =>
      (((m as Obj)['tags'] ?? []) as Obj[]).some((t) => t['name'] === 'command'),
    );
    expect(commands.map((m) => (m as Obj)['name'])).toEqual(['agent.thread.prompt']);
    expect(operations['receiveAgentThreadPrompt']).toMatchObject({
      action: 'receive',
      channel: { $ref: '#/channels/agent.thread.prompt' },
      messages: [{ $ref: '#/channels/agent.thread.prompt/messages/AgentThreadPrompt' }],
      reply: {
        channel: { $ref: '#/channels/agent.thread.response' },
        messages: [{ $ref: '#/channels/agent.thread.response/messages/AgentThreadResponse' }],
      },
      'x-bloodbank-error': 'agent.thread.error',
    });
  });

  it('parses with @asyncapi/parser without errors', async () => {
    const { document, diagnostics } = await fromFile(new Parser(), join(ROOT, 'asyncapi.yaml')).parse();
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(document?.channels().length).toBe(eventFiles.length);
  });
});
