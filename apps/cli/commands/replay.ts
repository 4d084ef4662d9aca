/**
 * `bb replay --to <service>`: sends the stored events matching the window and patterns into that one
 * service's queue (not to every subscriber), in their original order, with their original event_id and a
 * `bb-replayed-at` header. An idempotent consumer skips events it already handled; `--force` marks the
 * copies (`bb-replay-force`) so that it handles them again. Progress goes to stderr about once a second.
 */
import type { ReplayProgress } from 'bloodbank/amqp/history.js';
import { getRegistry, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, out, printJson } from '../support/output.js';
import { resolveTarget } from './dlq.js';
import { historyQuery, withHistoryReader } from './history.js';

export interface ReplayCliOptions {
  readonly to: string;
  readonly since?: string;
  readonly until?: string;
  readonly pattern?: string[];
  readonly correlation?: string;
  readonly limit?: number;
  readonly dryRun?: boolean;
  readonly force?: boolean;
  readonly json?: boolean;
}

function line(p: ReplayProgress, dryRun: boolean): string {
  const verb = dryRun ? 'would send' : 'sent';
  return `replay → ${p.queue}: ${verb} ${dryRun ? p.matched : p.sent} of ${p.scanned} scanned, ${p.rate} events/s, ${(p.elapsedMs / 1000).toFixed(1)} s${p.done ? ' (done)' : ''}`;
}

export async function replay(globals: GlobalOptions, options: ReplayCliOptions): Promise<void> {
  const query = historyQuery(options.pattern ?? [], options);
  const registry = await getRegistry(globals);
  const { replayHistory } = await import('bloodbank/amqp/history.js');
  const result = await withHistoryReader('replay', async (reader) => {
    const { target } = resolveTarget(options.to, reader.exchange, registry);
    try {
      return await replayHistory(reader, {
        ...query,
        ...(typeof target === 'string' ? { service: target } : { queue: target.queue }),
        dryRun: options.dryRun === true,
        force: options.force === true,
        onProgress: (p) => info(line(p, options.dryRun === true)),
        ...(options.dryRun && !options.json
          ? {
              onEvent: (m) => out(`${m.offset}  ${m.routingKey}  ${String(m.properties.messageId ?? '-')}`),
            }
          : {}),
      });
    } catch (error) {
      if (/cannot replay into .* no such queue/.test((error as Error).message))
        throw new CliError((error as Error).message, EXIT.notFound, { cause: error });
      throw error;
    }
  });
  if (options.json)
    printJson({
      queue: result.queue,
      dry_run: result.dryRun,
      scanned: result.scanned,
      matched: result.matched,
      sent: result.sent,
      first_offset: result.firstOffset,
      last_offset: result.lastOffset,
      elapsed_ms: result.elapsedMs,
      rate: result.rate,
      stopped_by: result.stoppedBy,
    });
}
