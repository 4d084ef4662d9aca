/**
 * The envelope every message travels in, byte-compatible with the original Bloodbank: snake_case,
 * lowercase UUIDs, timestamps with six fractional digits and `+00:00`, nulls emitted.
 */
import { newEventId } from './ids.js';

export type TriggerType =
  'manual' | 'agent' | 'scheduled' | 'file_watch' | 'hook' | 'heartbeat' | 'webhook' | 'service';

export interface Source {
  host: string;
  type: TriggerType;
  app: string | null;
  meta: { [key: string]: unknown } | null;
}

export interface CodeState {
  repo_url: string | null;
  branch: string | null;
  working_diff: string | null;
  branch_diff: string | null;
  last_commit_hash: string | null;
}

export interface AgentContext {
  type: string;
  name: string | null;
  system_prompt: string | null;
  instance_id: string | null;
  mcp_servers: string[] | null;
  file_references: string[] | null;
  url_references: string[] | null;
  code_state: CodeState | null;
  checkpoint_id: string | null;
  meta: { [key: string]: unknown } | null;
}

/** An envelope as it travels. `K` is the routing key, `P` the payload. */
export interface Envelope<K extends string = string, P = unknown> {
  event_id: string;
  event_type: K;
  timestamp: string;
  version: string;
  source: Source;
  correlation_ids: string[];
  agent_context: AgentContext | null;
  payload: P;
}

export type SourceInput = Pick<Source, 'host' | 'type'> & Partial<Pick<Source, 'app' | 'meta'>>;
export type AgentContextInput = Pick<AgentContext, 'type'> & Partial<Omit<AgentContext, 'type'>>;

export interface CreateEnvelopeOptions {
  source: SourceInput;
  /** Parent (causation) event ids. */
  correlationIds?: readonly string[];
  agentContext?: AgentContextInput | null;
  /** Defaults to a random uuid4; pass a deterministic id for idempotent publishing. */
  eventId?: string;
  /** Defaults to now. */
  timestamp?: Date | string;
  version?: string;
}

export const ENVELOPE_VERSION = '1.0.0';

/** Build an envelope with the original's defaults (uuid4 id, UTC now, version "1.0.0"). */
export function createEnvelope<K extends string, P>(
  eventType: K,
  payload: P,
  options: CreateEnvelopeOptions,
): Envelope<K, P> {
  const { source } = options;
  return {
    event_id: (options.eventId ?? newEventId()).toLowerCase(),
    event_type: eventType,
    timestamp:
      typeof options.timestamp === 'string'
        ? options.timestamp
        : formatTimestamp(options.timestamp ?? undefined),
    version: options.version ?? ENVELOPE_VERSION,
    source: { host: source.host, type: source.type, app: source.app ?? null, meta: source.meta ?? null },
    correlation_ids: (options.correlationIds ?? []).map((id) => id.toLowerCase()),
    agent_context: options.agentContext ? normalizeAgentContext(options.agentContext) : null,
    payload,
  };
}

export function normalizeAgentContext(input: AgentContextInput): AgentContext {
  return {
    type: input.type,
    name: input.name ?? null,
    system_prompt: input.system_prompt ?? null,
    instance_id: input.instance_id ?? null,
    mcp_servers: input.mcp_servers ?? null,
    file_references: input.file_references ?? null,
    url_references: input.url_references ?? null,
    code_state: input.code_state ?? null,
    checkpoint_id: input.checkpoint_id ?? null,
    meta: input.meta ?? null,
  };
}

const hrBase = { wall: Date.now(), mono: performance.now() };
/** The last second formatted by `formatTimestamp`. */
const secondCache = { seconds: Number.NaN, text: '' };

/**
 * `2026-11-26T16:15:23.030243+00:00`, as Python's `datetime.now(timezone.utc).isoformat()`.
 * Without an argument the microseconds come from the monotonic clock.
 */
export function formatTimestamp(date?: Date): string {
  let micros: number;
  if (date) micros = date.getTime() * 1000;
  else micros = Math.floor((hrBase.wall + (performance.now() - hrBase.mono)) * 1000);
  const seconds = Math.floor(micros / 1_000_000);
  // The seconds part changes once a second: formatted once (toISOString is the costly part).
  if (seconds !== secondCache.seconds) {
    secondCache.seconds = seconds;
    secondCache.text = new Date(seconds * 1000).toISOString().slice(0, 19); // 2026-11-26T16:15:23
  }
  const frac = String(micros - seconds * 1_000_000).padStart(6, '0');
  return `${secondCache.text}.${frac}+00:00`;
}
