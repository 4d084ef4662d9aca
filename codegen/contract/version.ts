/**
 * `bloodbank-codegen version <routing key>`: the way to make a breaking change. Copies the event's schema to
 * the next version (schema file `….v2.json`, channel and routing key `….v2`, message `…V2`, its operations),
 * marks the old message `deprecated: true`, and regenerates. The old channel stays as it was (DESIGN.md §3).
 *
 * When the event's own schema file carries an edit the contract gate refuses, the edit moves to the new
 * version: the file is copied as it is now and the old one restored from git HEAD.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { CodegenError, isCodegenError } from 'bloodbank/errors/codegen-error.js';
import { ROUTING_KEY } from 'bloodbank/registry.js';
import { SchemaStore, escapePointer, isObject } from '../schema-store.js';
import type { Json, JsonObject } from '../schema-store.js';
import { contractGate } from './lock.js';

export const VERSION_USAGE = `Usage: bloodbank-codegen version <routing key> [options]

Publish a breaking change as a new version beside the old one: copies the event's schema to the next
version (schemas/…/<name>.v2.json, channel <key>.v2, message <Name>V2, its operations), marks the old
message deprecated: true and regenerates. If the event's schema file holds an edit the contract gate
refuses, the edit moves to the new version and the old file is restored from git HEAD.

Options:
  --input <file>   AsyncAPI 3.0 document (default: asyncapi.yaml)
  --out <dir>      output folder (default: generated)
  -h, --help       show this help`;

export interface VersionResult {
  readonly key: string;
  readonly newKey: string;
  readonly schemaFile: string | null;
  /** The edit was moved into the new version and the old schema restored from git. */
  readonly movedEdit: boolean;
}

/** `x.y` → `x.y.v2`; `x.y.v2` → `x.y.v3`. */
export function nextVersionKey(key: string): { base: string; version: number; key: string } {
  const m = /^(.*)\.v(\d+)$/.exec(key);
  const base = m ? (m[1] as string) : key;
  const version = m ? Number(m[2]) + 1 : 2;
  return { base, version, key: `${base}.v${version}` };
}

export function versionEvent(inputPath: string, key: string, out: string): VersionResult {
  const input = resolve(inputPath);
  const root = dirname(input);
  const display = relative(process.cwd(), input) || input;
  const text = readFileSync(input, 'utf8');
  const doc = parseDocument(text);
  const js = doc.toJS() as JsonObject;
  const channels = isObject(js['channels']) ? js['channels'] : {};
  const found = Object.entries(channels).find(
    ([id, ch]) => isObject(ch) && (ch['address'] === key || (ch['address'] === undefined && id === key)),
  );
  if (!found) throw new CodegenError(display, '/channels', `no channel has the address ${key}`);
  const [channelId, channel] = found as [string, JsonObject];
  const next = nextVersionKey(key);
  if (!ROUTING_KEY.test(next.key)) {
    throw new CodegenError(
      display,
      `/channels/${escapePointer(channelId)}`,
      `the next version's routing key ${next.key} is outside the grammar ${ROUTING_KEY.source} (at most 6 tokens)`,
    );
  }
  const newChannelId = channelId === key ? next.key : `${channelId.replace(/_v\d+$/, '')}_v${next.version}`;
  if (
    Object.values(channels).some((c) => isObject(c) && c['address'] === next.key) ||
    newChannelId in channels
  ) {
    throw new CodegenError(display, '/channels', `${next.key} exists already`);
  }

  // The channel's messages: a $ref into components/messages, or inline.
  const messages = isObject(channel['messages']) ? channel['messages'] : {};
  const components = isObject(js['components']) ? js['components'] : {};
  const componentMessages = isObject(components['messages']) ? components['messages'] : {};
  const renames = new Map<string, string>();
  const rename = (name: string): string => `${name.replace(/V\d+$/, '')}V${next.version}`;
  const componentCopies: Array<[string, Json]> = [];
  const deprecate: Array<Array<string>> = [];
  let schemaRef: string | null = null;
  for (const [msgKey, msg] of Object.entries(messages)) {
    renames.set(msgKey, rename(msgKey));
    const ref = isObject(msg) && typeof msg['$ref'] === 'string' ? msg['$ref'] : null;
    const m = /^#\/components\/messages\/(.+)$/.exec(ref ?? '');
    if (m) {
      const name = m[1] as string;
      const body = componentMessages[name];
      if (!isObject(body)) throw new CodegenError(display, ref ?? '', 'points at nothing');
      if (rename(name) in componentMessages)
        throw new CodegenError(display, `/components/messages/${rename(name)}`, 'exists already');
      renames.set(`#/components/messages/${name}`, `#/components/messages/${rename(name)}`);
      componentCopies.push([rename(name), body]);
      deprecate.push(['components', 'messages', name]);
      schemaRef ??= eventSchemaRef(body);
    } else {
      deprecate.push(['channels', channelId, 'messages', msgKey]);
      if (isObject(msg)) schemaRef ??= eventSchemaRef(msg);
    }
  }

  // The event's own schema file: schemas/a/b.c.json → schemas/a/b.c.v2.json.
  let newSchemaRef: string | null = null;
  let schemaFile: string | null = null;
  let movedEdit = false;
  if (schemaRef !== null) {
    const file = resolve(root, schemaRef.replace(/#.*$/, ''));
    const stem = basename(file, '.json').replace(/\.v\d+$/, '');
    const target = join(dirname(file), `${stem}.v${next.version}.json`);
    if (existsSync(target)) throw new CodegenError(relative(root, target), '', 'exists already');
    const store = new SchemaStore(root);
    const schema = store.load(file).json;
    if (isObject(schema)) {
      const copy: JsonObject = { ...schema };
      if (typeof copy['$id'] === 'string') {
        copy['$id'] = copy['$id'].replace(basename(file), basename(target));
      }
      if (typeof copy['title'] === 'string')
        copy['title'] = `${copy['title'].replace(/V\d+$/, '')}V${next.version}`;
      writeFileSync(target, `${JSON.stringify(copy, null, 2)}\n`);
    }
    schemaFile = relative(root, target);
    newSchemaRef = schemaRef.replace(basename(file), basename(target));
    movedEdit = restoreIfBreaking(input, out, key, file);
  }

  const rewrite = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (isObject(node)) {
      const o: JsonObject = {};
      for (const [k, v] of Object.entries(node)) {
        if (k === 'deprecated') continue;
        o[k] = rewrite(v);
      }
      if (isObject(o['messages']) && !Array.isArray(o['messages'])) {
        o['messages'] = Object.fromEntries(
          Object.entries(o['messages']).map(([mk, mv]) => [renames.get(mk) ?? mk, mv]),
        );
      }
      return o;
    }
    if (typeof node !== 'string') return node;
    if (node === key) return next.key;
    if (schemaRef !== null && newSchemaRef !== null && node === schemaRef) return newSchemaRef;
    const chPrefix = `#/channels/${escapePointer(channelId)}`;
    if (node === chPrefix) return `#/channels/${escapePointer(newChannelId)}`;
    if (node.startsWith(`${chPrefix}/messages/`)) {
      const mk = node.slice(`${chPrefix}/messages/`.length);
      return `#/channels/${escapePointer(newChannelId)}/messages/${renames.get(mk) ?? mk}`;
    }
    return renames.get(node) ?? node;
  };

  const newChannel = rewrite(channel) as JsonObject;
  newChannel['address'] = next.key;
  if (typeof newChannel['title'] === 'string')
    newChannel['title'] = `${newChannel['title']} (v${next.version})`;
  doc.setIn(['channels', newChannelId], doc.createNode(newChannel));
  for (const [name, body] of componentCopies) {
    const copy = rewrite(body) as JsonObject;
    if (typeof copy['name'] === 'string') copy['name'] = next.key;
    doc.setIn(['components', 'messages', name], doc.createNode(copy));
  }
  const operations = isObject(js['operations']) ? js['operations'] : {};
  for (const [opId, op] of Object.entries(operations)) {
    const ch = isObject(op) && isObject(op['channel']) ? op['channel']['$ref'] : null;
    if (ch !== `#/channels/${escapePointer(channelId)}`) continue;
    const newOp = `${opId.replace(/V\d+$/, '')}V${next.version}`;
    if (newOp in operations) throw new CodegenError(display, `/operations/${newOp}`, 'exists already');
    doc.setIn(['operations', newOp], doc.createNode(rewrite(op)));
  }
  for (const path of deprecate) doc.setIn([...path, 'deprecated'], true);
  writeFileSync(input, doc.toString({ lineWidth: 0 }));
  return { key, newKey: next.key, schemaFile, movedEdit };
}

/** The `$ref` of the event's own schema inside a message payload (the envelope's `payload`, or the payload). */
function eventSchemaRef(message: JsonObject): string | null {
  let payload: Json | undefined = message['payload'];
  if (isObject(payload) && payload['schema'] !== undefined) payload = payload['schema'];
  if (!isObject(payload)) return null;
  if (typeof payload['$ref'] === 'string' && !payload['$ref'].startsWith('#')) return payload['$ref'];
  const parts = Array.isArray(payload['allOf']) ? payload['allOf'] : [];
  for (const part of parts) {
    const inner = isObject(part) && isObject(part['properties']) ? part['properties']['payload'] : undefined;
    if (isObject(inner) && typeof inner['$ref'] === 'string' && !inner['$ref'].startsWith('#'))
      return inner['$ref'];
  }
  return null;
}

/**
 * When the gate refuses the current document because of `key`, and `file` differs from git HEAD, put the
 * HEAD version back: the edit now lives in the new version's copy.
 */
function restoreIfBreaking(input: string, out: string, key: string, file: string): boolean {
  let refused = false;
  try {
    const gate = contractGate({ input, out, check: true });
    refused = gate.diff?.changes.some((c) => c.breaking && c.address === key) ?? false;
  } catch {
    return false;
  }
  if (!refused) return false;
  const dir = dirname(file);
  const top = spawnSync('git', ['-C', dir, 'rev-parse', '--show-toplevel'], { encoding: 'utf8' });
  if (top.status !== 0) return false;
  const rel = relative(top.stdout.trim(), file).split('\\').join('/');
  const head = spawnSync('git', ['-C', top.stdout.trim(), 'show', `HEAD:${rel}`], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (head.status !== 0 || head.stdout === readFileSync(file, 'utf8')) return false;
  writeFileSync(file, head.stdout);
  return true;
}

export async function runVersionCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        input: { type: 'string', default: 'asyncapi.yaml' },
        out: { type: 'string', default: 'generated' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`version: ${(error as Error).message}\n\n${VERSION_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(VERSION_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`version: give one routing key\n\n${VERSION_USAGE}`);
    return 2;
  }
  const input = resolve(values.input);
  const out = resolve(values.out);
  try {
    const r = versionEvent(input, positionals[0] as string, out);
    console.log(`version: ${r.newKey} added beside ${r.key} (now deprecated: true)`);
    if (r.schemaFile) console.log(`  schema: ${r.schemaFile}`);
    if (r.movedEdit) {
      console.log(
        `  your edit of ${r.key}'s schema now lives in ${r.schemaFile}; the old file was restored from git HEAD`,
      );
    }
    const gate = contractGate({ input, out, check: false });
    if (gate.message) console.error(gate.message);
    if (gate.code !== 0) return gate.code;
    const { runCodegen } = await import('../index.js');
    const result = await runCodegen({ input, out });
    gate.commit();
    console.log(
      `codegen: ${result.files.length} files in ${relative(process.cwd(), out) || out} (${result.changed.length} changed)`,
    );
    return 0;
  } catch (error) {
    if (isCodegenError(error)) {
      console.error(`version: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
