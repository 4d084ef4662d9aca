/** Reading, validating and describing payloads for `bb publish` and friends. */
import { readFile } from 'node:fs/promises';
import type { EventDefinition, ValidationIssue } from 'bloodbank/registry.js';
import { generateMock } from '../../shared/mock.js';
import { CliError, EXIT } from './errors.js';
import { UUID_RE } from './output.js';

export interface PayloadSources {
  readonly mock?: boolean;
  readonly seed?: number;
  readonly data?: string;
  readonly file?: string;
  /** `-`: stdin. */
  readonly source?: string;
}

export async function readPayload(def: EventDefinition, sources: PayloadSources): Promise<unknown> {
  if (sources.source !== undefined && sources.source !== '-')
    throw new CliError(
      `unexpected argument ${JSON.stringify(sources.source)}: only \`-\` (stdin) is accepted there`,
      EXIT.usage,
    );
  const given = [
    sources.mock ? '--mock' : null,
    sources.data !== undefined ? '--data' : null,
    sources.file !== undefined ? '--file' : null,
    sources.source === '-' ? '-' : null,
  ].filter(Boolean);
  if (given.length !== 1)
    throw new CliError(
      given.length === 0
        ? `no payload: pass one of --mock, --data JSON, --file PATH or - (stdin); \`bb show ${def.key}\` shows the schema`
        : `pass only one payload source (got ${given.join(', ')})`,
      EXIT.usage,
    );
  if (sources.mock) return generateMock(def.schema, sources.seed === undefined ? {} : { seed: sources.seed });
  let text: string;
  let where: string;
  if (sources.data !== undefined) {
    text = sources.data;
    where = '--data';
  } else if (sources.file !== undefined) {
    where = sources.file;
    try {
      text = await readFile(sources.file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${sources.file}: ${(error as Error).message}`, EXIT.notFound, {
        cause: error,
      });
    }
  } else {
    where = 'stdin';
    text = await readStdin();
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`the payload from ${where} is not JSON: ${(error as Error).message}`, EXIT.invalid, {
      cause: error,
    });
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Validates (strict, defaults applied); throws a CliError listing every failing pointer. */
export function validatePayload(def: EventDefinition, payload: unknown): unknown {
  const result = def.validatePublish(structuredClone(payload));
  if (result.ok) return result.value;
  throw new CliError(formatIssues(`payload of ${def.key} is invalid`, result.issues), EXIT.invalid);
}

export function formatIssues(headline: string, issues: readonly ValidationIssue[]): string {
  const lines = issues.map((i) => `  ${i.pointer || '/'}  ${i.message} (${i.rule})`);
  return `${headline} (${issues.length} issue${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}

export function checkParents(parents: readonly string[] | undefined): string[] {
  const list = parents ?? [];
  const bad = list.filter((p) => !UUID_RE.test(p));
  if (bad.length > 0)
    throw new CliError(
      `--parent must be an event id (a UUID), got ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
      EXIT.usage,
    );
  return list.map((p) => p.toLowerCase());
}

/** `key=value` pairs; values kept as written (so they render as Python's str() would: True, None, 1.0). */
export function parseFields(pairs: readonly string[] | undefined, flag: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`${flag} expects key=value, got ${JSON.stringify(pair)}`, EXIT.usage);
    fields[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return fields;
}
