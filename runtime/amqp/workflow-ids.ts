/**
 * Workflow ids of published events (`bb-correlation-id`): a child inherits its parents' workflow id. With
 * a correlation tracker the parents' id is looked up in Redis (bounded by a timeout; the first parent's id
 * when the lookup fails); events this publisher linked recently answer from memory (a workflow id never
 * changes once recorded), and concurrent lookups of one parent share one call. After a confirm the links
 * are recorded (a tracker failure is logged and counted, never fails the publish).
 */
import type { Logger } from 'pino';
import type { BloodbankMetrics } from '../metrics.js';
import { RecentMap } from '../recent-map.js';
import type { Entry } from './publish-entry.js';

/** The part of the correlation tracker (runtime/redis) the publisher uses. */
export interface PublisherTracker {
  addCorrelation(
    childEventId: string,
    parentEventIds: readonly string[],
    metadata?: Readonly<Record<string, unknown>>,
    workflowId?: string,
  ): Promise<unknown>;
  getWorkflowId(eventId: string): Promise<string | null | undefined>;
}

/** Recently linked events whose workflow id the publisher remembers (runtime/recent-map.ts). */
const KNOWN_WORKFLOWS = 20_000;

export class WorkflowIds {
  readonly #known = new RecentMap<string, string>(KNOWN_WORKFLOWS);
  readonly #lookups = new Map<string, Promise<string>>();

  constructor(
    private readonly tracker: PublisherTracker,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly metrics: BloodbankMetrics | undefined,
  ) {}

  /** The parents' workflow id (see the module header). */
  ofParents(parents: readonly string[]): Promise<string> {
    const first = parents[0] as string;
    const key = first.toLowerCase();
    const known = this.#known.get(key);
    if (known !== undefined) return Promise.resolve(known);
    let lookup = this.#lookups.get(key);
    if (!lookup) {
      lookup = this.#lookup(first).finally(() => this.#lookups.delete(key));
      this.#lookups.set(key, lookup);
    }
    return lookup;
  }

  async #lookup(first: string): Promise<string> {
    try {
      const found = await withTimeout(this.tracker.getWorkflowId(first), this.timeoutMs);
      return found ?? first;
    } catch (error) {
      this.metrics?.trackerFailures.inc({ operation: 'getWorkflowId' });
      this.logger.warn({ err: error, parent: first }, 'workflow id lookup failed; using the first parent id');
      return first;
    }
  }

  /** Record a confirmed entry's parent links (never throws). */
  async record(entry: Entry): Promise<void> {
    const { envelope, link } = entry;
    if (!link) return;
    try {
      const recorded = await withTimeout(
        this.tracker.addCorrelation(envelope.event_id, link.parents, link.metadata, link.workflowId),
        this.timeoutMs,
      );
      // false: the tracker could not record it (Redis away); then nothing is known for sure.
      if (recorded !== false) this.#known.set(envelope.event_id.toLowerCase(), link.workflowId);
    } catch (error) {
      this.metrics?.trackerFailures.inc({ operation: 'addCorrelation' });
      this.logger.warn({ err: error, eventId: envelope.event_id }, 'correlation link not recorded');
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
