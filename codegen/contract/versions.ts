/**
 * Versions side by side (DESIGN.md §3): `x.y.v2` supersedes `x.y` (the unversioned key is v1). Codegen puts
 * `version`, `supersedes`, `supersededBy` and `deprecated` on the registry entries of events that are part
 * of a version chain or deprecated, and `@deprecated` on a deprecated event's publisher.
 */
import type { EventModel, Model } from '../model.js';
import { escapePointer, isObject } from '../schema-store.js';
import type { Location } from '../schema-store.js';

export interface VersionInfo {
  readonly version: number;
  readonly supersedes: string | null;
  readonly supersededBy: string | null;
  /** The channel's message says `deprecated: true`. */
  readonly deprecated: boolean;
}

const VERSIONED = /^(.*)\.v(\d+)$/;

/** `a.b.v3` → `{ base: 'a.b', version: 3 }`; `a.b` → `{ base: 'a.b', version: 1 }`. */
export function parseVersion(key: string): { base: string; version: number } {
  const m = VERSIONED.exec(key);
  return m && Number(m[2]) >= 2 ? { base: m[1] as string, version: Number(m[2]) } : { base: key, version: 1 };
}

function keyOf(base: string, version: number): string {
  return version === 1 ? base : `${base}.v${version}`;
}

/** Version facts per routing key; only events in a version chain or deprecated are listed. */
export function eventVersions(model: Model): Map<string, VersionInfo> {
  const keys = new Set(model.events.map((e) => e.key));
  const out = new Map<string, VersionInfo>();
  for (const e of model.events) {
    const { base, version } = parseVersion(e.key);
    const before = version > 1 && keys.has(keyOf(base, version - 1)) ? keyOf(base, version - 1) : null;
    const after = keys.has(keyOf(base, version + 1)) ? keyOf(base, version + 1) : null;
    const deprecated = isDeprecated(model, e);
    if (version > 1 || after !== null || deprecated) {
      out.set(e.key, { version, supersedes: before, supersededBy: after, deprecated });
    }
  }
  return out;
}

function isDeprecated(model: Model, e: EventModel): boolean {
  const { store } = model;
  const doc = store.docs().find((d) => store.display(d.file) === model.input);
  if (!doc) return false;
  const deref = (loc: Location): Location => {
    const node = store.get(loc);
    return isObject(node) && typeof node['$ref'] === 'string' ? deref(store.resolve(node['$ref'], loc)) : loc;
  };
  const ch = deref({ doc, pointer: `/channels/${escapePointer(e.channelId)}` });
  const channel = store.get(ch);
  if (!isObject(channel)) return false;
  if (channel['deprecated'] === true) return true;
  const messages = isObject(channel['messages']) ? Object.keys(channel['messages']) : [];
  return messages.some((m) => {
    const msg = store.get(deref({ doc: ch.doc, pointer: `${ch.pointer}/messages/${escapePointer(m)}` }));
    return isObject(msg) && msg['deprecated'] === true;
  });
}
