/** `bb serve gateway|commands` and `bb tui`: thin launchers of the apps, imported only when run. */
import type { GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info } from '../support/output.js';

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function serveGatewayCommand(
  globals: GlobalOptions,
  options: { host?: string; port?: number },
): Promise<void> {
  const { serveGateway, GatewayStartError } = await import('../../gateway/serve.js');
  let gateway;
  try {
    gateway = await serveGateway({
      ...(globals.registry ? { registryModule: globals.registry } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
  } catch (error) {
    if (error instanceof GatewayStartError) throw new CliError(error.message, EXIT.usage, { cause: error });
    if ((error as { code?: string }).code === 'EADDRINUSE')
      throw new CliError(
        `${(error as Error).message}: another process listens there; pass --port`,
        EXIT.unavailable,
      );
    throw error;
  }
  info(`gateway listening on ${gateway.url} (Ctrl-C to stop)`);
  await untilSignal();
  await gateway.close();
}

export async function serveCommandsCommand(
  globals: GlobalOptions,
  options: { concurrency?: number; port?: number },
): Promise<void> {
  const { serveCommands } = await import('../../command-processor/serve.js');
  const processor = await serveCommands({
    history: true,
    ...(globals.registry ? { registryModule: globals.registry } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  info(
    `command processor running: ${processor.handled.join(', ') || 'no commands'}` +
      (processor.unhandled.length ? ` (no handler: ${processor.unhandled.join(', ')})` : '') +
      ' (Ctrl-C to stop)',
  );
  await processor.closed;
}

export async function tuiCommand(globals: GlobalOptions, options: { pattern?: string }): Promise<void> {
  const { runTui } = await import('../tui/main.js');
  await runTui({
    ...(globals.registry ? { registryModule: globals.registry } : {}),
    ...(options.pattern ? { pattern: options.pattern } : {}),
  });
}
