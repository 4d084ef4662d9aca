/**
 * Types of the command pattern, derived from a generated catalogue `M`: what a handler definition may
 * provide besides `execute`, and the keys of a command's reply and failure event.
 */
import type { CommandContext, CommandHandler, CommandKeys, EnvelopeOf, EventCollector } from '../bus.js';
import type { Envelope } from '../envelope.js';
import type { Catalog } from '../registry.js';

/** The reply's routing key of command `K` (AsyncAPI `reply`), `never` when it declares none. */
export type ReplyKeyOf<M extends Catalog, K extends keyof M & string> = M[K]['reply'] extends keyof M & string
  ? M[K]['reply']
  : never;

/** The failure event's routing key of command `K` (`x-bloodbank-error`), `never` when it declares none. */
export type ErrorKeyOf<M extends Catalog, K extends keyof M & string> = M[K]['error'] extends keyof M & string
  ? M[K]['error']
  : never;

/** The failure event's payload as published. */
export type ErrorInputOf<M extends Catalog, K extends keyof M & string> = M[K]['error'] extends keyof M &
  string
  ? M[M[K]['error']]['input']
  : never;

/** Commands that have a reply, so that `request()` can wait for it. */
export type RequestableKeys<M extends Catalog> = {
  [K in CommandKeys<M>]: M[K]['reply'] extends keyof M & string ? K : never;
}[CommandKeys<M>];

/** The reply envelope of command `K`, as a requester receives it. */
export type ReplyEnvelopeOf<M extends Catalog, K extends keyof M & string> = EnvelopeOf<M, ReplyKeyOf<M, K>>;

/** What is known about a failed run of a command. */
export interface CommandFailure {
  readonly error: unknown;
  /** `error.message`, or the error as a string. */
  readonly message: string;
  /** `error.code` when it is a string, else the error's name. */
  readonly code: string | null;
  /** Whether retrying might succeed (false for `retryable: false` errors and invalid payloads). */
  readonly retryable: boolean;
  /** 1 on the first delivery. */
  readonly attempt: number;
  /** Retries attempted so far: `attempt - 1`. */
  readonly retryCount: number;
}

/**
 * A command handler with its optional companions. `execute` alone is the common case (pass the function
 * to `register` directly).
 */
export interface CommandDefinition<M extends Catalog, K extends CommandKeys<M>> {
  readonly execute: CommandHandler<M, K>;
  /**
   * Runs when `execute` threw, before the command is retried or fails for good: undo what the handler
   * did outside the bus. Its own errors are logged and never replace the handler's.
   */
  readonly rollback?: (context: CommandContext<EnvelopeOf<M, K>>, error: unknown) => void | Promise<void>;
  /**
   * The failure event's payload when the command fails for good. Default: the command's fields that the
   * failure schema declares (e.g. `provider`, `model`), plus `error_message`, `error_code`,
   * `is_retryable` and `retry_count` when the schema declares them.
   */
  readonly failurePayload?: (
    command: M[K]['payload'],
    failure: CommandFailure,
    context: CommandContext<EnvelopeOf<M, K>>,
  ) => ErrorInputOf<M, K>;
  /**
   * Extra facts to publish with the failure event when the command fails for good (the prompt handler
   * adds llm.prompt and llm.error). Published like side effects: deterministic ids, parent = the command.
   */
  readonly onFailed?: (
    command: M[K]['payload'],
    failure: CommandFailure,
    context: CommandContext<EnvelopeOf<M, K>>,
    collector: EventCollector<M>,
  ) => void | Promise<void>;
}

/** What one run of a command produced. */
export type CommandResult =
  | {
      readonly status: 'succeeded';
      /** The reply as published on the exchange (null for commands without a reply). */
      readonly reply: Envelope | null;
      readonly sideEffects: readonly Envelope[];
    }
  | {
      readonly status: 'duplicate';
    };
