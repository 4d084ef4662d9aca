/**
 * `bb publish-prompt <provider> <prompt>`: publishes the `agent.thread.prompt` command (the original's
 * command, with the git project and working directory it detected but never sent); `--wait` requests it
 * over direct reply-to and prints the reply.
 */
import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { openRequester } from '../support/requester.js';
import { cliSource, openBus, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, out, printJson } from '../support/output.js';
import { validatePayload } from '../support/payload.js';

export const PROMPT_COMMAND = 'agent.thread.prompt';

interface PromptOptions {
  readonly model?: string;
  readonly project?: string;
  readonly tag?: string[];
  readonly wait?: boolean;
  readonly timeout: number;
  readonly json?: boolean;
}

/** The git repository's name of `dir`, or null outside one. */
export async function gitProject(dir: string): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--show-toplevel'], {
      cwd: dir,
      timeout: 2_000,
    });
    const top = stdout.trim();
    return top ? basename(top) : null;
  } catch {
    return null;
  }
}

export async function publishPrompt(
  globals: GlobalOptions,
  provider: string,
  prompt: string,
  options: PromptOptions,
): Promise<void> {
  const bus = await openBus(globals, 'publish-prompt');
  try {
    const def = bus.registry.get(PROMPT_COMMAND);
    if (!def) throw new CliError(`the registry has no ${PROMPT_COMMAND} command`, EXIT.notFound);
    const payload = {
      provider,
      prompt,
      model: options.model ?? null,
      project: options.project ?? (await gitProject(process.cwd())),
      working_dir: process.cwd(),
      ...(options.tag ? { tags: options.tag } : {}),
    };
    validatePayload(def, payload);
    if (!options.wait) {
      const receipt = await bus.publisher.publish(PROMPT_COMMAND as never, payload as never);
      if (options.json) printJson(receipt.envelope);
      else out(receipt.eventId);
      info(`published ${PROMPT_COMMAND}; follow it with \`bb trace ${receipt.eventId}\``);
      return;
    }
    const requester = await openRequester(bus, cliSource(), options.timeout * 1000);
    try {
      const { reply, commandId } = await requester.request(PROMPT_COMMAND, payload);
      if (options.json) printJson(reply);
      else {
        const body = reply.payload as { response?: unknown };
        out(typeof body.response === 'string' ? body.response : JSON.stringify(reply.payload, null, 2));
      }
      info(`${reply.event_type} ${reply.event_id} answered ${commandId}`);
    } finally {
      await requester.close();
    }
  } finally {
    await bus.close();
  }
}
