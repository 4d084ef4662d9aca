/**
 * `bb setup`: declares what the bus needs before anything is published (idempotent): the event exchange
 * and, unless `--no-history`, the history stream `${EXCHANGE_NAME}.history` bound with `#`. The gateway
 * and the command processor run the same at start; docker-compose runs `bb setup` once.
 */
import { getConfig, openConnection, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { out, printJson } from '../support/output.js';

export async function setup(
  _globals: GlobalOptions,
  options: { history?: boolean; json?: boolean },
): Promise<void> {
  const config = await getConfig();
  const connection = await openConnection(config, 'setup');
  try {
    const { setupHistory } = await import('bloodbank/amqp/history.js');
    const { assertEventExchange } = await import('bloodbank/amqp/topology.js');
    let history: string | null = null;
    if (options.history === false || config.history === 'off') {
      const ch = await connection.createChannel();
      await assertEventExchange(ch, config.exchangeName);
      await ch.close();
    } else {
      try {
        history = (
          await setupHistory(connection, config.exchangeName, {
            maxAge: config.historyMaxAge,
            maxBytes: config.historyMaxBytes,
          })
        ).history;
      } catch (error) {
        throw new CliError((error as Error).message, EXIT.failure, { cause: error });
      }
    }
    const result = {
      exchange: config.exchangeName,
      history: history && {
        queue: history,
        max_age: config.historyMaxAge,
        max_bytes: config.historyMaxBytes,
      },
    };
    if (options.json) printJson(result);
    else {
      out(`exchange ${config.exchangeName} (topic, durable): ready`);
      out(
        history
          ? `history stream ${history} (bound with #, max-age ${config.historyMaxAge}, max-bytes ${config.historyMaxBytes}): ready`
          : 'history: off (events nobody subscribes to are refused as unroutable)',
      );
    }
  } finally {
    await connection.close();
  }
}
