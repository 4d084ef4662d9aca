/**
 * Runs the command processor on its own: `node apps/dist/apps/command-processor/main.js [options]`.
 * Configuration comes from the environment (DESIGN.md §9); options:
 *   --registry <module>    registry module (default BLOODBANK_REGISTRY, else the generated one)
 *   --concurrency <n>      commands at once per command key (default 1)
 *   --port <n>             serve /healthz and /metrics
 *   --lease-ms <n>         protection of a running command against duplicate runs (default 60000)
 *   --max-attempts <n>     attempts before a command fails for good (default 5)
 *   --retry-delays <ms,…>  backoff between attempts (default 1000,5000,30000,120000)
 *   --echo-delay-ms <n>    make the echo provider slow (demos, crash tests)
 * Exits 0 after a graceful shutdown (SIGINT/SIGTERM), 1 when start-up fails.
 */
import { parseArgs } from 'node:util';
import { createEchoProvider } from '../handlers/providers/index.js';
import { serveCommands } from './serve.js';

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      registry: { type: 'string' },
      concurrency: { type: 'string' },
      port: { type: 'string' },
      'lease-ms': { type: 'string' },
      'max-attempts': { type: 'string' },
      'retry-delays': { type: 'string' },
      'echo-delay-ms': { type: 'string' },
    },
  });
  const concurrency = integer('concurrency', values.concurrency);
  const port = integer('port', values.port);
  const leaseMs = integer('lease-ms', values['lease-ms']);
  const maxAttempts = integer('max-attempts', values['max-attempts']);
  const delays = values['retry-delays']?.split(',').map((d) => integer('retry-delays', d.trim()) as number);
  const echoDelayMs = integer('echo-delay-ms', values['echo-delay-ms']);
  const processor = await serveCommands({
    history: true,
    ...(values.registry !== undefined ? { registryModule: values.registry } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(maxAttempts !== undefined || delays
      ? {
          retry: {
            ...(maxAttempts !== undefined ? { maxAttempts } : {}),
            ...(delays ? { delaysMs: delays } : {}),
          },
        }
      : {}),
    ...(echoDelayMs !== undefined
      ? { providers: { echo: createEchoProvider({ delayMs: echoDelayMs }) } }
      : {}),
  });
  await processor.closed;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `command processor failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
