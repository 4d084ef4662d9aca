/**
 * The side-effect collector handed to command handlers. Nothing is sent while the handler runs: `add`
 * validates the payload (defaults applied, on a copy) and remembers it with the id it will be published
 * with, derived from the command's event_id and the side effect's index, so a re-run of the same command
 * publishes the same ids and downstream deduplication by event_id keeps one copy.
 */
import type { EventCollector, PublishOptions } from '../bus.js';
import type { AgentContextInput, SourceInput } from '../envelope.js';
import { PayloadValidationError } from '../errors/payload-validation-error.js';
import { deterministicId } from '../ids.js';
import type { Catalog, Registry } from '../registry.js';

/** One collected side effect, validated, ready to publish. */
export interface CollectedEvent {
  readonly eventType: string;
  readonly eventId: string;
  /** The validated payload (defaults applied). */
  readonly payload: unknown;
  /** Parents besides the command (the command's event_id always comes first). */
  readonly correlationIds: readonly string[];
  readonly agentContext?: AgentContextInput | null;
  readonly source?: SourceInput;
}

export interface CommandCollector<M extends Catalog = Catalog> extends EventCollector<M> {
  /** What was added, in order. */
  readonly events: readonly CollectedEvent[];
  /** Forget everything (after a failed run). */
  clear(): void;
}

export interface CollectorOptions {
  readonly registry: Registry;
  /** The command's event_id: parent of every side effect and seed of their ids. */
  readonly commandId: string;
  /** Distinguishes the ids of different phases of one command (`side_effect`, `failure_side_effect`). */
  readonly role?: string;
}

/** The id the `index`-th side effect of a command gets: `uuid5` of the command id, role and index. */
export function sideEffectId(
  eventType: string,
  commandId: string,
  index: number,
  role = 'side_effect',
): string {
  return deterministicId(eventType, { command_id: commandId.toLowerCase(), index, role });
}

export function createCollector<M extends Catalog = Catalog>(options: CollectorOptions): CommandCollector<M> {
  const events: CollectedEvent[] = [];
  const role = options.role ?? 'side_effect';
  return {
    get events() {
      return events;
    },
    add(eventType, payload, addOptions?: Pick<PublishOptions, 'agentContext' | 'source' | 'correlationIds'>) {
      const definition = options.registry.require(eventType);
      const result = definition.validatePublish(structuredClone(payload));
      if (!result.ok) throw new PayloadValidationError('publish', eventType, result.issues);
      const eventId = sideEffectId(eventType, options.commandId, events.length, role);
      events.push({
        eventType,
        eventId,
        payload: result.value,
        correlationIds: (addOptions?.correlationIds ?? []).filter(
          (id) => id.toLowerCase() !== options.commandId.toLowerCase(),
        ),
        ...(addOptions?.agentContext !== undefined ? { agentContext: addOptions.agentContext } : {}),
        ...(addOptions?.source !== undefined ? { source: addOptions.source } : {}),
      });
      return eventId;
    },
    clear() {
      events.length = 0;
    },
  };
}
