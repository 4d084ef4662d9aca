/**
 * `bb wrap <program> [-- args…]`: runs an LLM CLI and records the exchange as facts.
 *
 * stdin (when piped) is passed to the program and is the prompt; otherwise the prompt is the program's
 * command line. The program's stdout and stderr are teed to ours as they come. Published: `llm.prompt`
 * before the program starts, then `llm.response` (its output, duration, exit status) with the prompt
 * as its parent — never the `agent.thread.prompt` command, which a running processor would execute a
 * second time. The events are published without `mandatory`; a bus that cannot be reached is reported
 * on stderr and never stops the program. Exit status: the program's, else 5 when publishing failed.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { openBus, type Bus, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, warn } from '../support/output.js';
import { readStdin } from '../support/payload.js';
import { gitProject } from './publish-prompt.js';

interface WrapOptions {
  readonly provider: string;
  readonly model?: string;
}

/** Fits `text` into `max` characters, keeping its end (an LLM's conclusion is at the end). */
function fit(text: string, max: number | undefined): string {
  if (max === undefined || text.length <= max) return text;
  const marker = '…[truncated by bb wrap]\n';
  return marker + text.slice(text.length - (max - marker.length));
}

function maxLengthOf(bus: Bus, key: string, field: string): number | undefined {
  const schema = bus.registry.get(key)?.schema as
    { properties?: Record<string, { maxLength?: number }> } | undefined;
  return schema?.properties?.[field]?.maxLength;
}

export async function wrap(
  globals: GlobalOptions,
  program: string,
  args: string[],
  options: WrapOptions,
): Promise<number> {
  // `bb wrap <program> -- args…`: the separator is ours, not the program's.
  if (args[0] === '--') args = args.slice(1);
  const piped = !process.stdin.isTTY;
  const input = piped ? await readStdin() : null;
  const busPromise = openBus(globals, 'wrap', { mandatory: false }).then(
    (bus) => ({ ok: true as const, bus }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let publishFailed = false;
  const project = await gitProject(process.cwd());

  const commandLine = [program, ...args].join(' ');
  const prompt = input !== null && input.trim() !== '' ? input : commandLine;
  const started = Date.now();
  const opened = await busPromise;
  let promptId: string | null = null;
  if (!opened.ok) {
    publishFailed = true;
    warn(`not recording this run: ${(opened.error as Error).message}`);
  } else {
    try {
      const receipt = await opened.bus.publisher.publish(
        'llm.prompt' as never,
        {
          provider: options.provider,
          model: options.model ?? null,
          prompt: fit(prompt, maxLengthOf(opened.bus, 'llm.prompt', 'prompt')),
          project,
          working_dir: process.cwd(),
          tags: ['bb-wrap', basename(program)],
        } as never,
      );
      promptId = receipt.eventId;
    } catch (error) {
      publishFailed = true;
      warn(`cannot publish llm.prompt: ${(error as Error).message}`);
    }
  }

  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    output.push(chunk);
    process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.push(chunk);
    process.stderr.write(chunk);
  });
  child.stdin.on('error', () => {}); // the program may exit without reading its input
  if (input !== null) child.stdin.end(input);
  else child.stdin.end();
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (resolveStatus) => {
      child.once('error', (error) => resolveStatus({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolveStatus({ code, signal }));
    },
  );
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  const durationMs = Date.now() - started;

  try {
    if (opened.ok && promptId) {
      try {
        const response = Buffer.concat(output).toString('utf8');
        const receipt = await opened.bus.publisher.publish(
          'llm.response' as never,
          {
            provider: options.provider,
            prompt_id: promptId,
            response: fit(response, maxLengthOf(opened.bus, 'llm.response', 'response')),
            model: options.model ?? null,
            duration_ms: durationMs,
            metadata: {
              program: basename(program),
              exit_code: status.code,
              signal: status.signal,
              ...(status.error ? { error: status.error.message } : {}),
            },
          } as never,
          { correlationIds: [promptId], correlationMetadata: { event_type: 'llm.response' } },
        );
        info(`bb wrap: recorded llm.prompt ${promptId} → llm.response ${receipt.eventId}`);
      } catch (error) {
        publishFailed = true;
        warn(`cannot publish llm.response: ${(error as Error).message}`);
      }
    }
  } finally {
    if (opened.ok) await opened.bus.close();
  }
  if (status.error)
    throw new CliError(
      `cannot run ${program}: ${status.error.message}`,
      (status.error as { code?: string }).code === 'ENOENT' ? EXIT.notFound : EXIT.failure,
    );
  if (status.code !== null && status.code !== 0) return status.code;
  if (status.signal) return 128 + (signalNumber(status.signal) ?? 1);
  return publishFailed ? EXIT.unavailable : EXIT.ok;
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }[signal as string];
}
