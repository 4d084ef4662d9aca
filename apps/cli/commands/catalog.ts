/** `bb list-events`, `bb list-commands`, `bb show`: the registry as a catalogue. */
import type { EventDefinition, Registry } from 'bloodbank/registry.js';
import { describeParameters } from '../../shared/entries.js';
import { generateMock } from '../../shared/mock.js';
import { getRegistry, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { out, printJson, table, truncate } from '../support/output.js';

interface ListOptions {
  readonly domain?: string;
  readonly kind?: 'event' | 'command';
  readonly json?: boolean;
}

/** The JSON shape of one event type in listings (`bb list-events --json`, MCP `list_event_types`). */
export function describeType(def: EventDefinition) {
  return {
    event_type: def.key,
    kind: def.kind,
    domain: def.domain,
    group: def.group,
    title: def.title,
    description: def.description,
    payload_type: def.typeName,
    reply_type: def.replyKey,
    error_type: def.errorKey,
    ...addressOf(def),
  };
}

/** Channel, message, address and parameters: only for entries of a document we did not write. */
function addressOf(def: EventDefinition) {
  return {
    ...(def.channelId !== undefined ? { channel_id: def.channelId } : {}),
    ...(def.messageId !== undefined ? { message_id: def.messageId } : {}),
    ...(def.address !== undefined ? { address: def.address } : {}),
    ...(def.parameters?.length ? { parameters: def.parameters } : {}),
    ...(def.delivery ? { delivery: def.delivery } : {}),
    ...(def.headers ? { headers_schema: def.headers.schema } : {}),
  };
}

/** The address as listings show it: as written, `(caller names the key)` for null, nothing for ours. */
function addressText(def: EventDefinition): string | null {
  if (def.address === undefined) return null;
  return def.address === null ? '(address: null, --routing-key)' : def.address;
}

export function filterTypes(
  all: readonly EventDefinition[],
  domains: readonly string[],
  options: { readonly domain?: string | undefined; readonly kind?: string | undefined },
): EventDefinition[] {
  if (
    options.domain !== undefined &&
    !all.some((d) => d.domain === options.domain || d.group === options.domain)
  )
    throw new CliError(
      `unknown domain ${JSON.stringify(options.domain)} (domains: ${domains.join(', ')})`,
      EXIT.notFound,
    );
  return all.filter(
    (d) =>
      (options.domain === undefined || d.domain === options.domain || d.group === options.domain) &&
      (options.kind === undefined || d.kind === options.kind),
  );
}

function printList(defs: readonly EventDefinition[], json: boolean | undefined, noun: string): void {
  if (json) {
    printJson(defs.map(describeType));
    return;
  }
  if (defs.length === 0) {
    out(`no ${noun} found`);
    return;
  }
  const byDomain = new Map<string, EventDefinition[]>();
  for (const d of defs) byDomain.set(d.domain, [...(byDomain.get(d.domain) ?? []), d]);
  for (const [domain, list] of [...byDomain].sort(([a], [b]) => a.localeCompare(b))) {
    out(domain);
    const rows = list.map((d) => [
      d.key,
      d.kind,
      d.kind === 'command' ? `→ ${d.replyKey ?? '-'} | ${d.errorKey ?? '-'}` : truncate(d.title, 60),
      ...(defs.some((x) => x.address !== undefined) ? [addressText(d) ?? ''] : []),
    ]);
    for (const line of table(rows, '  ')) out(line);
  }
  const commands = defs.filter((d) => d.kind === 'command').length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  out(
    noun === 'commands'
      ? `\n${plural(commands, 'command')}`
      : `\n${plural(defs.length, 'event type')} (${plural(commands, 'command')})`,
  );
}

export async function listEvents(globals: GlobalOptions, options: ListOptions): Promise<void> {
  const registry = await getRegistry(globals);
  printList(filterTypes(registry.list(), registry.listDomains(), options), options.json, 'event types');
}

export async function listCommands(globals: GlobalOptions, options: ListOptions): Promise<void> {
  const registry = await getRegistry(globals);
  printList(
    filterTypes(registry.list(), registry.listDomains(), { ...options, kind: 'command' }),
    options.json,
    'commands',
  );
}

/** Finds a type by routing key, or by payload type name / title as the original's `show` did. */
export function findType(all: readonly EventDefinition[], name: string): EventDefinition {
  const lower = name.toLowerCase();
  const def =
    all.find((d) => d.key === name) ??
    all.find((d) => d.typeName.toLowerCase() === lower || d.typeName.toLowerCase() === `${lower}payload`) ??
    all.find((d) => d.title.toLowerCase() === lower);
  if (def) return def;
  const close = all.filter((d) => d.key.includes(lower) || lower.includes(d.domain)).map((d) => d.key);
  throw new CliError(
    `unknown event type ${JSON.stringify(name)}` +
      (close.length > 0 ? ` (did you mean ${close.slice(0, 5).join(', ')}?)` : '') +
      '; run `bb list-events` to see them',
    EXIT.notFound,
  );
}

/** One version of an event in `bb show` (`version`, `supersedes`, `supersededBy`, `deprecated`). */
export interface VersionRow {
  readonly event_type: string;
  readonly version: number;
  readonly deprecated: boolean;
  readonly supersedes: string | null;
  readonly superseded_by: string | null;
  /** The older key an upcaster turns into this one (`acceptOlder: true` works for it). */
  readonly upcast_from: string | null;
}

/** Every version of `def`'s event, oldest first (walking supersedes / supersededBy); [] outside a chain. */
export function versionsOf(
  registry: Pick<Registry, 'get' | 'upcasters'>,
  def: EventDefinition,
): VersionRow[] {
  if (def.version === undefined) return [];
  let first = def;
  const seen = new Set<string>([def.key]);
  while (first.supersedes) {
    const older = registry.get(first.supersedes);
    if (!older || seen.has(older.key)) break;
    seen.add(older.key);
    first = older;
  }
  const rows: VersionRow[] = [];
  for (let d: EventDefinition | undefined = first; d && rows.length <= seen.size + 16;) {
    rows.push({
      event_type: d.key,
      version: d.version ?? 1,
      deprecated: d.deprecated ?? false,
      supersedes: d.supersedes ?? null,
      superseded_by: d.supersededBy ?? null,
      upcast_from: registry.upcasters?.find((u) => u.to === d?.key)?.from ?? null,
    });
    const next: string | null | undefined = d.supersededBy;
    d = next && !rows.some((r) => r.event_type === next) ? registry.get(next) : undefined;
  }
  return rows;
}

/** The `versions:` lines of `bb show`. */
export function versionLines(rows: readonly VersionRow[], current: string): string[] {
  return rows.map((r) => {
    const notes = [
      r.event_type === current ? 'this one' : null,
      r.deprecated ? 'deprecated' : null,
      r.upcast_from ? `upcasts from ${r.upcast_from}: subscribe with acceptOlder` : null,
    ].filter((n): n is string => n !== null);
    return `    v${r.version}  ${r.event_type}${notes.length ? `  (${notes.join('; ')})` : ''}`;
  });
}

export async function show(globals: GlobalOptions, name: string, options: { json?: boolean }): Promise<void> {
  const registry = await getRegistry(globals);
  const def = findType(registry.list(), name);
  const example = def.examples[0] ?? generateMock(def.schema, { seed: 1 });
  if (options.json) {
    printJson({
      ...describeType(def),
      versions: versionsOf(registry, def),
      schema: def.schema,
      examples: def.examples.length ? def.examples : [example],
    });
    return;
  }
  out(`${def.key}  (${def.kind})`);
  out(`  title:    ${def.title}`);
  out(`  domain:   ${def.domain}  (group ${def.group})`);
  out(`  payload:  ${def.typeName}`);
  const versions = versionsOf(registry, def);
  if (versions.length > 0) {
    out('  versions:');
    for (const line of versionLines(versions, def.key)) out(line);
  }
  for (const line of addressLines(def)) out(line);
  if (def.kind === 'command') {
    out(`  reply:    ${def.replyKey ?? '-'}`);
    out(`  failure:  ${def.errorKey ?? '-'}`);
  }
  out(`\n${def.description}`);
  out('\nJSON Schema:');
  out(JSON.stringify(def.schema, null, 2));
  out(def.examples.length ? '\nExample:' : '\nExample (generated):');
  out(JSON.stringify(example, null, 2));
}

/** `bb show` lines for a document we did not write: channel, address, parameters, headers, delivery. */
export function addressLines(def: EventDefinition): string[] {
  const lines: string[] = [];
  if (def.channelId !== undefined)
    lines.push(
      `  channel:  ${def.channelId}${def.messageId !== undefined ? `  (message ${def.messageId})` : ''}`,
    );
  const address = addressText(def);
  if (address !== null) lines.push(`  address:  ${address}`);
  const params = describeParameters(def);
  if (params.length > 0) {
    lines.push('  parameters (--param name=value):');
    for (const p of params) lines.push(`    ${p}`);
  }
  if (def.delivery)
    lines.push(
      `  delivery: ${def.delivery.is}${def.delivery.is === 'queue' ? ` ${def.delivery.queue.name}` : ''}`,
    );
  if (def.headers) {
    const props = Object.keys(
      ((typeof def.headers.schema === 'object' ? def.headers.schema['properties'] : undefined) ??
        {}) as object,
    );
    lines.push(`  headers:  ${props.length ? props.join(', ') : '(schema)'}`);
  }
  return lines;
}
