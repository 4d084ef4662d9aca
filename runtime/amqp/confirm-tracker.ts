/**
 * Confirm tracking: the messages sent on the current channel and not yet answered by the broker, in send
 * order, indexed by event id so that a `basic.return` (which precedes the message's ack, DESIGN.md §7)
 * finds its message. A deterministic id published twice is outstanding twice: the index keeps one entry
 * per id and counts the others.
 */
import type { Entry } from './publish-entry.js';

export class ConfirmTracker {
  /** Sent and not yet answered, in send order. */
  readonly #outstanding = new Set<Entry>();
  /** The first outstanding entry of each event id (for `basic.return`; duplicates fall back to a scan). */
  readonly #byId = new Map<string, Entry>();
  /** Event ids outstanding more than once, with the extra count. */
  readonly #duplicateIds = new Map<string, number>();

  get size(): number {
    return this.#outstanding.size;
  }

  add(entry: Entry): void {
    this.#outstanding.add(entry);
    const id = entry.envelope.event_id;
    if (!this.#byId.has(id)) this.#byId.set(id, entry);
    else this.#duplicateIds.set(id, (this.#duplicateIds.get(id) ?? 0) + 1);
  }

  forget(entry: Entry): void {
    if (!this.#outstanding.delete(entry)) return;
    const id = entry.envelope.event_id;
    const extra = this.#duplicateIds.get(id);
    if (extra === undefined) {
      this.#byId.delete(id);
      return;
    }
    // Rare: another message with this id is still outstanding; keep the map pointing at one of them.
    if (extra <= 1) this.#duplicateIds.delete(id);
    else this.#duplicateIds.set(id, extra - 1);
    if (this.#byId.get(id) !== entry) return;
    for (const e of this.#outstanding)
      if (e.envelope.event_id === id) {
        this.#byId.set(id, e);
        break;
      }
  }

  /** The outstanding message a `basic.return` with this message id is about (one not returned yet). */
  returnedOne(id: string): Entry | undefined {
    const entry = this.#byId.get(id);
    if (!entry || entry.returned === null) return entry;
    for (const e of this.#outstanding) if (e.envelope.event_id === id && e.returned === null) return e;
    return undefined;
  }

  /** Outstanding messages in send order. */
  [Symbol.iterator](): IterableIterator<Entry> {
    return this.#outstanding.values();
  }
}
