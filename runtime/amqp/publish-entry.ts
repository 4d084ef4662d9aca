/**
 * One accepted `publish()` as the publisher tracks it, from acceptance to its settlement: held, sent,
 * confirmed (or nacked, returned, timed out, refused). Shared by the publisher's parts (held-queue.ts,
 * confirm-tracker.ts, publisher.ts).
 */
import type { PublishReceipt } from '../bus.js';
import type { Envelope } from '../envelope.js';
import type { Outbound } from './outbound.js';

export interface Entry extends Outbound {
  readonly seq: number;
  readonly envelope: Envelope;
  readonly mandatory: boolean;
  readonly timeoutMs: number;
  readonly queuedAt: number;
  readonly link: {
    readonly parents: readonly string[];
    readonly workflowId: string;
    readonly metadata?: Readonly<Record<string, unknown>>;
  } | null;
  readonly resolve: (receipt: PublishReceipt) => void;
  readonly reject: (error: unknown) => void;
  sends: number;
  /** Nacks received so far (each one resent on a new channel, up to `nackRetries`). */
  nacks: number;
  sentAt: number;
  timer: NodeJS.Timeout | null;
  returned: { readonly code: number; readonly text: string } | null;
  settled: boolean;
}

export function clearTimer(entry: Entry): void {
  if (entry.timer) clearTimeout(entry.timer);
  entry.timer = null;
}
