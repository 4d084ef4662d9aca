/**
 * API keys of the gateway (`BLOODBANK_API_KEYS`): each key with the routing-key patterns it may publish.
 *
 * Spec: `key1=fireflies.#|llm.*,key2=#` — keys separated by `,`, a key and its patterns by `=`, patterns by
 * `|` (AMQP topic patterns: `*` one token, `#` zero or more). The variable may instead name a keys file
 * holding one `key=patterns` per line (blank lines and lines starting with `#` ignored).
 *
 * Keys are kept only as SHA-256 digests; the plain key is never stored nor logged. A key is identified in
 * logs, metrics and rate limiting by `key:<first 12 hex digits of its digest>`.
 */
import * as crypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { assertTopicPattern, topicMatches } from 'bloodbank/delivery/topic.js';

export interface ApiKey {
  /** `key:<12 hex>`: safe to log. */
  readonly id: string;
  readonly scopes: readonly string[];
}

export interface KeyStore {
  readonly size: number;
  /** The key presented, or undefined when it is not one of ours. */
  lookup(presented: string): ApiKey | undefined;
  /** Whether `key` may publish `routingKey` (one of its patterns matches). */
  allows(key: ApiKey, routingKey: string): boolean;
}

export class ApiKeySpecError extends Error {
  override name = 'ApiKeySpecError' as const;
}

// One-shot `crypto.hash` (Node >= 20.12; a namespace import, as older 20.x lack it) is about twice as
// fast as a Hash object on the request path.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

function digest(key: string): string {
  return oneShot
    ? oneShot('sha256', key, 'hex')
    : crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Parse the spec (or the file it names). Throws `ApiKeySpecError` naming the faulty entry, never the key. */
export function parseApiKeys(spec: string | undefined): KeyStore {
  const entries: Array<readonly [string, readonly string[]]> = [];
  const text = spec?.trim() ?? '';
  if (text !== '') {
    const fromFile = !text.includes('=') && existsSync(text);
    if (!text.includes('=') && !fromFile)
      throw new ApiKeySpecError(
        'BLOODBANK_API_KEYS must be `key=pattern|pattern,key2=#` or the path of an existing keys file',
      );
    const items = fromFile
      ? readFileSync(text, 'utf8')
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#'))
      : text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
    items.forEach((item, index) => {
      const where = fromFile ? `${text} entry ${index + 1}` : `BLOODBANK_API_KEYS entry ${index + 1}`;
      const eq = item.indexOf('=');
      const key = eq < 0 ? '' : item.slice(0, eq).trim();
      const patterns =
        eq < 0
          ? []
          : item
              .slice(eq + 1)
              .split('|')
              .map((p) => p.trim());
      if (key === '' || /\s/.test(key)) throw new ApiKeySpecError(`${where}: expected key=pattern|pattern`);
      if (patterns.length === 0 || patterns.some((p) => p === ''))
        throw new ApiKeySpecError(`${where}: a key needs at least one pattern (use # for every event)`);
      for (const p of patterns) {
        try {
          assertTopicPattern(p);
        } catch {
          throw new ApiKeySpecError(`${where}: ${JSON.stringify(p)} is not a topic pattern`);
        }
      }
      entries.push([key, patterns]);
    });
  }
  return createKeyStore(entries);
}

export function createKeyStore(entries: ReadonlyArray<readonly [string, readonly string[]]>): KeyStore {
  const byDigest = new Map<string, ApiKey>();
  for (const [key, scopes] of entries) {
    const d = digest(key);
    const previous = byDigest.get(d);
    byDigest.set(d, { id: `key:${d.slice(0, 12)}`, scopes: [...(previous?.scopes ?? []), ...scopes] });
  }
  const decisions = new Map<string, boolean>();
  return {
    size: byDigest.size,
    lookup: (presented) => (presented === '' ? undefined : byDigest.get(digest(presented))),
    allows(key, routingKey) {
      const memo = `${key.id} ${routingKey}`;
      let allowed = decisions.get(memo);
      if (allowed === undefined) {
        allowed = key.scopes.some((p) => topicMatches(p, routingKey));
        if (decisions.size > 10_000) decisions.clear();
        decisions.set(memo, allowed);
      }
      return allowed;
    },
  };
}

/** The key sent as `Authorization: Bearer <key>` or `X-API-Key: <key>` (undefined when none). */
export function presentedKey(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1]) return m[1];
  }
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  return undefined;
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|::1|localhost|::ffff:127(?:\.\d{1,3}){3})$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}
