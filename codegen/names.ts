/** The one place that turns routing keys and titles into TypeScript names. Mechanical, human, collision-checked. */
import { CodegenError } from 'bloodbank/errors/codegen-error.js';

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'as implements interface let package private protected public static yield any boolean number string symbol ' +
    'type from of never unknown object undefined bigint await async'
  ).split(' '),
);

/** Split on separators and camel-case humps: `round_completed` → [round, completed]; `GitHubPR` → [Git, Hub, PR]. */
function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
}

export function pascalCase(text: string): string {
  const name = words(text)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  return escapeIdentifier(name || 'Unnamed');
}

export function camelCase(text: string): string {
  const p = pascalCase(text);
  return escapeIdentifier(p.charAt(0).toLowerCase() + p.slice(1));
}

export function escapeIdentifier(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_$]/g, '_');
  if (/^[0-9]/.test(id)) id = `_${id}`;
  if (RESERVED.has(id)) id = `${id}_`;
  return id;
}

/** Names derived from one routing key. */
export interface EventNames {
  /** `FirefliesTranscriptReady` */
  readonly base: string;
  /** `FirefliesTranscriptReadyPayload` (as consumed) */
  readonly payload: string;
  /** `FirefliesTranscriptReadyPayloadInput` (as published) */
  readonly input: string;
  /** `validateFirefliesTranscriptReady` (publish, strict) */
  readonly validate: string;
  /** `validateFirefliesTranscriptReadyConsume` (consume, tolerant) */
  readonly validateConsume: string;
  /** `publishFirefliesTranscriptReady` */
  readonly publish: string;
  /** `onFirefliesTranscriptReady` */
  readonly on: string;
  /** `FirefliesTranscriptReadyHandler` (commands) */
  readonly handler: string;
}

export function eventNames(routingKey: string): EventNames {
  const base = pascalCase(routingKey);
  return {
    base,
    payload: `${base}Payload`,
    input: `${base}PayloadInput`,
    validate: `validate${base}`,
    validateConsume: `validate${base}Consume`,
    publish: `publish${base}`,
    on: `on${base}`,
    handler: `${base}Handler`,
  };
}

/** Where a name comes from: the file and JSON pointer of the schema (or channel) that asks for it. */
export interface NameSource {
  readonly file: string;
  readonly pointer: string;
}

function showSource(source: NameSource): string {
  return `${source.file}${source.pointer ? `#${source.pointer}` : ''}`;
}

/**
 * Names the generated API itself exports beside the types (catalog.ts, client.ts), plus `Record`, which
 * type declarations use: a schema with one of these names gets a trailing `_`, as a reserved word does.
 */
const GENERATED_API = new Set([
  'BloodbankCatalog',
  'CommandHandlers',
  'CommandMap',
  'CommandType',
  'Consumers',
  'EventInputMap',
  'EventMap',
  'EventType',
  'Publishers',
  'Record',
  'ReplyOf',
]);

/** The exported type name of a schema the document names (a component key, a definitions key, a title). */
export function typeName(text: string): string {
  const name = pascalCase(text);
  return GENERATED_API.has(name) ? `${name}_` : name;
}

/** Hands out names and fails loudly when two different sources want the same one. */
export class NameTable {
  private readonly owners = new Map<string, NameSource>();

  claim(name: string, source: NameSource): string {
    const owner = this.owners.get(name);
    if (owner !== undefined && showSource(owner) !== showSource(source)) {
      throw new CodegenError(
        source.file,
        source.pointer,
        `name collision: ${name} is derived from both ${showSource(owner)} and ${showSource(source)}; rename one of them`,
      );
    }
    this.owners.set(name, source);
    return name;
  }

  has(name: string): boolean {
    return this.owners.has(name);
  }
}
