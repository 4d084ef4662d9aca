/**
 * Publishing a deprecated event (its message says `deprecated: true`, usually because `….v2` supersedes
 * it): counted every time in `bloodbank_deprecated_published_total{event_type}` and logged once per
 * routing key and publisher, naming the version to move to. Transport-neutral: AMQP and memory use it.
 */
import type { Logger } from 'pino';
import type { BloodbankMetrics } from './metrics.js';
import type { EventDefinition } from './registry.js';

export class DeprecationNotices {
  readonly #seen = new Set<string>();
  readonly #logger: Logger | undefined;
  readonly #metrics: BloodbankMetrics | null | undefined;

  constructor(logger: Logger | undefined, metrics: BloodbankMetrics | null | undefined) {
    this.#logger = logger;
    this.#metrics = metrics;
  }

  /** Call on every publish; does nothing for an event that is not deprecated. */
  note(definition: EventDefinition): void {
    if (definition.deprecated !== true) return;
    this.#metrics?.deprecatedPublished?.inc({ event_type: definition.key });
    if (this.#seen.has(definition.key)) return;
    this.#seen.add(definition.key);
    const next = definition.supersededBy ?? null;
    this.#logger?.warn(
      { event_type: definition.key, superseded_by: next },
      `publishing deprecated event ${definition.key}${next ? `; publish ${next} instead` : ''}`,
    );
  }
}
