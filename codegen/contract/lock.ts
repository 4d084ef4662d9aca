/**
 * The contract gate, like a lockfile: `<out>/contract.lock.json` is a committed, sorted, byte-stable
 * snapshot of every message's bundled payload schema. `npm run codegen` diffs the document against it: a
 * compatible change updates it; a breaking one prints the report and leaves it as it was, unless the user
 * passes `--accept-breaking "<reason>"` (the reason is recorded in the snapshot). `codegen --check` fails
 * while the snapshot and the document disagree.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { CodegenError } from '../../runtime/errors/codegen-error.js';
import { isObject } from '../schema-store.js';
import type { Json, JsonObject } from '../schema-store.js';
import { diffContracts } from './diff.js';
import type { ContractDiff } from './diff.js';
import { ContractVersionError, readContract } from './read.js';
import type { Contract, ContractMessage, MessageKind } from './read.js';
import { formatReport } from './report.js';
import type { Compatibility } from './rules.js';
import { sortKeys } from './schema-diff.js';

export { CONTRACT_LOCK } from '../write.js';
import { CONTRACT_LOCK } from '../write.js';

/** A breaking change someone accepted with `--accept-breaking`, kept in the snapshot for the record. */
export interface AcceptedBreak {
  readonly reason: string;
  /** `<channel> <message> <pointer> <rule>` of each breaking change accepted. */
  readonly changes: readonly string[];
}

export interface Lock {
  readonly contract: Contract;
  readonly accepted: readonly AcceptedBreak[];
}

/** The snapshot's text: keys sorted, two-space indent, trailing newline; the same bytes on every run. */
export function serializeLock(lock: Lock): string {
  const messages: JsonObject = {};
  // Schemas shared by several messages (the envelope, common parts) are stored once: definition names
  // are file paths and pointers, unique within one document.
  const definitions: JsonObject = {};
  for (const m of lock.contract.messages) {
    const { definitions: defs, ...schema } = m.schema;
    if (isObject(defs)) Object.assign(definitions, defs);
    messages[m.id] = {
      address: m.address,
      channel: m.channel,
      message: m.message,
      kind: m.kind,
      ...(m.compatibility ? { compatibility: m.compatibility } : {}),
      ...(m.deprecated ? { deprecated: true } : {}),
      schema,
    };
  }
  const body = sortKeys({
    $comment:
      'The contract snapshot of bloodbank codegen: every message payload as last accepted. npm run codegen updates it when a change is compatible and refuses a breaking one (see npm run contract -- --help). Commit it; do not edit it.',
    version: 1,
    definitions,
    messages,
  }) as JsonObject;
  // Accepted breaks stay in the order they were accepted.
  body['accepted'] = lock.accepted.map((a) => ({ reason: a.reason, changes: [...a.changes] }));
  return `${JSON.stringify(sortKeys(body), null, 2)}\n`;
}

export function parseLock(text: string, display: string): Lock {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (cause) {
    throw new CodegenError(display, '', `invalid JSON: ${(cause as Error).message}`, { cause });
  }
  if (!isObject(json) || json['version'] !== 1 || !isObject(json['messages'])) {
    throw new CodegenError(
      display,
      '',
      'not a version 1 contract snapshot (run npm run codegen to rewrite it)',
    );
  }
  const definitions = isObject(json['definitions']) ? json['definitions'] : {};
  const messages: ContractMessage[] = Object.entries(json['messages']).map(([id, raw]) => {
    const m = isObject(raw) ? raw : {};
    const schema = isObject(m['schema']) ? m['schema'] : {};
    return {
      id,
      channel: typeof m['channel'] === 'string' ? m['channel'] : (id.split('/')[0] ?? id),
      message: typeof m['message'] === 'string' ? m['message'] : id,
      address: typeof m['address'] === 'string' ? m['address'] : null,
      kind: (m['kind'] as MessageKind | undefined) ?? 'event',
      compatibility: (m['compatibility'] as Compatibility | undefined) ?? null,
      deprecated: m['deprecated'] === true,
      schema: Object.keys(definitions).length > 0 ? { ...schema, definitions } : schema,
    };
  });
  const accepted = Array.isArray(json['accepted'])
    ? json['accepted'].filter(isObject).map((a) => ({
        reason: String(a['reason'] ?? ''),
        changes: Array.isArray(a['changes']) ? a['changes'].map(String) : [],
      }))
    : [];
  return { contract: { messages }, accepted };
}

export interface GateOptions {
  readonly input: string;
  readonly out: string;
  readonly check: boolean;
  /** Accept a breaking change, recording this reason. */
  readonly acceptBreaking?: string | undefined;
  readonly color?: boolean;
}

export interface GateResult {
  /** 0: go on; 1: breaking (or, with `check`, the snapshot is stale). */
  readonly code: 0 | 1;
  /** What to print (stderr when code is 1), or null. */
  readonly message: string | null;
  readonly diff: ContractDiff | null;
  /** Write the updated snapshot (call after the rest of codegen succeeded). No-op with `check`. */
  commit(): boolean;
}

export function contractGate(options: GateOptions): GateResult {
  const path = join(options.out, CONTRACT_LOCK);
  const rel = relative(process.cwd(), path);
  const display = rel && !rel.startsWith('..') ? rel : path;
  let current: Contract;
  try {
    current = readContract(options.input);
  } catch (error) {
    // A 2.x document generates, with no contract snapshot (read.ts says why).
    if (error instanceof ContractVersionError)
      return { code: 0, message: null, diff: null, commit: () => false };
    throw error;
  }
  const onDisk = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const write = (text: string) => (): boolean => {
    if (options.check || text === onDisk) return false;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return true;
  };
  if (onDisk === null) {
    const text = serializeLock({ contract: current, accepted: [] });
    return {
      code: 0,
      message: options.check ? `codegen --check: no ${display} yet; npm run codegen creates it` : null,
      diff: null,
      commit: write(text),
    };
  }
  const previous = parseLock(onDisk, display);
  const diff = diffContracts(previous.contract, current);
  const accept = options.acceptBreaking?.trim();
  if (!diff.compatible && !(accept && !options.check)) {
    const report = formatReport(diff, {
      color: options.color ?? false,
      versionCommand: 'npx bloodbank-codegen version',
      acceptHint: `or, when every producer and consumer is upgraded at once, accept it on the record: npm run codegen -- --accept-breaking "<reason>"`,
    });
    return {
      code: 1,
      message: `codegen: ${display} refuses a breaking change to the contract; it was left as it was.\n\n${report}`,
      diff,
      commit: () => false,
    };
  }
  const breaking = diff.changes.filter((c) => c.breaking);
  const accepted =
    breaking.length > 0 && accept
      ? [
          ...previous.accepted,
          {
            reason: accept,
            changes: breaking.map((c) => `${c.channel} ${c.message} ${c.pointer} ${c.rule}`),
          },
        ]
      : previous.accepted;
  const text = serializeLock({ contract: current, accepted });
  if (options.check && text !== onDisk) {
    return {
      code: 1,
      message: `codegen --check: ${display} is out of date with ${options.input}; run npm run codegen.\n\n${formatReport(diff, { color: options.color ?? false })}`,
      diff,
      commit: () => false,
    };
  }
  return { code: 0, message: null, diff, commit: write(text) };
}
