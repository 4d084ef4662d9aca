/**
 * `bb history [pattern]`: events stored in the history stream, oldest first, one line each (time, type,
 * id, payload) or JSON lines, filtered by routing-key pattern, time window and correlation. It stops at
 * `--until`, `--limit`, or where the stream ended when the command started. A summary goes to stderr.
 */
import type { HistoryQuery, ScanStats } from 'bloodbank/amqp/history.js';
import { parseTimeSpec, TIME_RULE } from '../../shared/time.js';
import { getConfig, openConnection, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, out, truncate, UUID_RE } from '../support/output.js';

export interface HistoryCliOptions {
  readonly since?: string;
  readonly until?: string;
  readonly correlation?: string;
  readonly limit?: number;
  readonly json?: boolean;
}

/** The runtime query of the shared options; bad values are usage errors naming the option. */
export function historyQuery(
  patterns: readonly string[],
  options: Pick<HistoryCliOptions, 'since' | 'until' | 'correlation' | 'limit'>,
): HistoryQuery {
  const time = (name: string, value: string | undefined): Date | undefined => {
    if (value === undefined) return undefined;
    const at = parseTimeSpec(value);
    if (!at) throw new CliError(`--${name} ${TIME_RULE} (got ${JSON.stringify(value)})`, EXIT.usage);
    return at;
  };
  if (options.correlation !== undefined && !UUID_RE.test(options.correlation))
    throw new CliError(`--correlation must be an event or workflow id (a UUID)`, EXIT.usage);
  const since = time('since', options.since);
  const until = time('until', options.until);
  return {
    pattern: patterns.length > 0 ? patterns : '#',
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(options.correlation ? { correlation: options.correlation } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
}

/** Runs `read` with a connection, mapping the runtime's query errors to usage errors. */
export async function withHistoryReader<T>(
  name: string,
  read: (reader: { connection: Awaited<ReturnType<typeof openConnection>>; exchange: string }) => Promise<T>,
): Promise<T> {
  const config = await getConfig();
  const connection = await openConnection(config, name);
  try {
    return await read({ connection, exchange: config.exchangeName });
  } catch (error) {
    if (error instanceof RangeError) throw new CliError(error.message, EXIT.usage, { cause: error });
    if (/no history stream/.test((error as Error).message))
      throw new CliError((error as Error).message, EXIT.notFound, { cause: error });
    throw error;
  } finally {
    await connection.close();
  }
}

export async function history(
  _globals: GlobalOptions,
  pattern: string | undefined,
  options: HistoryCliOptions,
): Promise<void> {
  const query = historyQuery(pattern ? [pattern] : [], options);
  const { readHistory } = await import('bloodbank/amqp/history.js');
  const stats: ScanStats = { scanned: 0, matched: 0, stoppedBy: null };
  const started = Date.now();
  await withHistoryReader('history', async (reader) => {
    for await (const e of readHistory(reader, query, stats)) {
      if (options.json)
        out(
          JSON.stringify({
            offset: e.offset,
            routing_key: e.routingKey,
            workflow_id: e.workflowId,
            envelope: e.envelope,
          }),
        );
      else {
        const time = String(e.envelope.timestamp ?? '')
          .slice(0, 23)
          .replace('T', ' ');
        out(
          `${time}  ${e.envelope.event_type}  ${e.envelope.event_id}  ${truncate(JSON.stringify(e.envelope.payload) ?? 'null', 100)}`,
        );
      }
    }
  });
  const seconds = (Date.now() - started) / 1000;
  info(
    `${stats.matched} event${stats.matched === 1 ? '' : 's'} (${stats.scanned} scanned in ${seconds.toFixed(1)} s)`,
  );
}
