/**
 * The publisher's queue of accepted messages not yet sent: in acceptance order (`seq`), held while
 * disconnected or waiting for the in-flight window. Messages whose channel closed before their confirm
 * ("lost") go back to the head, in their original order, so the wire keeps the order of `publish()`
 * calls. `#head` avoids O(n) shifts.
 */
import { clearTimer, type Entry } from './publish-entry.js';

export class HeldQueue {
  #queue: Entry[] = [];
  #head = 0;
  /** Sent on a channel that closed before their confirm, in send order; requeued on `requeueLost`. */
  #lost: Entry[] = [];

  /** Held and lost messages. */
  get size(): number {
    return this.#queue.length - this.#head + this.#lost.length;
  }

  get hasNext(): boolean {
    return this.#head < this.#queue.length;
  }

  push(entry: Entry): void {
    this.#queue.push(entry);
  }

  /** The next message to send, or undefined. */
  next(): Entry | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const entry = this.#queue[this.#head] as Entry;
    this.#head += 1;
    return entry;
  }

  /** Undo the last `next()` (the channel refused the send synchronously). */
  unshiftLast(): void {
    this.#head -= 1;
  }

  /** Drop the sent prefix once it dominates the array. */
  compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  lose(entry: Entry): void {
    this.#lost.push(entry);
  }

  /** Lost messages still unsettled (the refusal check looks at them before they are requeued). */
  lost(): readonly Entry[] {
    return this.#lost;
  }

  /** Put sent-but-unconfirmed messages back at the head, in their original order. */
  requeueLost(): void {
    if (this.#lost.length === 0) return;
    const lost = this.#lost.filter((e) => !e.settled);
    this.#lost = [];
    for (const e of lost) clearTimer(e);
    this.#queue = mergeBySeq(
      lost.sort((a, b) => a.seq - b.seq),
      this.#queue.slice(this.#head),
    );
    this.#head = 0;
  }

  /** Held messages accepted at or before `limit` (ms since the epoch), unsettled. */
  *olderThan(limit: number): Generator<Entry> {
    for (let i = this.#head; i < this.#queue.length; i += 1) {
      const e = this.#queue[i] as Entry;
      if (!e.settled && e.queuedAt <= limit) yield e;
    }
  }

  /** Forget settled held messages. */
  dropSettled(): void {
    this.#queue = this.#queue.slice(this.#head).filter((e) => !e.settled);
    this.#head = 0;
  }

  /** Take every held and lost message out (to fail them). */
  takeAll(): Entry[] {
    const all = [...this.#queue.slice(this.#head), ...this.#lost];
    this.#queue = [];
    this.#head = 0;
    this.#lost = [];
    return all;
  }
}

function mergeBySeq(a: readonly Entry[], b: readonly Entry[]): Entry[] {
  const out: Entry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.seq <= y.seq)) {
      out.push(x as Entry);
      i += 1;
    } else {
      out.push(y);
      j += 1;
    }
  }
  return out;
}
