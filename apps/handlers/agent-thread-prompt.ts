/**
 * The agent.thread.prompt handler: runs the prompt against the provider the command names and answers
 * with agent.thread.response. Beside the reply it publishes the llm domain's view of the interaction:
 * llm.prompt then llm.response (parent: the llm.prompt) on success; llm.prompt then llm.error when the
 * command fails for good, together with agent.thread.error. A failed attempt that is retried publishes
 * nothing. Provider failures are retryable or final by their kind (429/5xx/timeouts retryable, other 4xx
 * and unknown providers final).
 */
import type { AgentThreadPromptPayload, BloodbankCatalog } from '../../generated/index.js';
import { NonRetryableError, isProviderError, type CommandDefinition, type CommandFailure } from 'bloodbank';
import type { ProviderSet } from './providers/index.js';

export interface AgentThreadPromptOptions {
  readonly providers: ProviderSet;
  /** Used when the command's provider is `default` or empty (default `echo`). */
  readonly defaultProvider?: string;
}

type Definition = CommandDefinition<BloodbankCatalog, 'agent.thread.prompt'>;

const MAX_MESSAGE = 65_536;
const MAX_SHORT = 255;

export function agentThreadPromptHandler(options: AgentThreadPromptOptions): Definition {
  const defaultProvider = options.defaultProvider ?? 'echo';
  const providerName = (command: AgentThreadPromptPayload): string =>
    command.provider === '' || command.provider === 'default' ? defaultProvider : command.provider;

  const llmPrompt = (command: AgentThreadPromptPayload) => ({
    provider: providerName(command),
    model: command.model,
    prompt: command.prompt,
    project: command.project,
    working_dir: command.working_dir,
    domain: command.domain,
    tags: command.tags,
  });

  return {
    async execute(command, context, collector) {
      const name = providerName(command);
      const provider = options.providers[name];
      if (!provider)
        throw new NonRetryableError(
          `unknown provider ${JSON.stringify(name)}; known: ${Object.keys(options.providers).sort().join(', ')}`,
          { code: 'unknown_provider' },
        );
      const promptId = collector.add('llm.prompt', llmPrompt(command));
      const started = performance.now();
      const answer = await provider.complete({
        prompt: command.prompt,
        model: command.model,
        systemPrompt: context.agent_context?.system_prompt ?? null,
        signal: context.signal,
      });
      const durationMs = Math.round(performance.now() - started);
      const model = answer.model ?? command.model;
      collector.add(
        'llm.response',
        {
          provider: name,
          prompt_id: promptId,
          response: answer.text,
          model,
          tokens_used: answer.tokensUsed,
          duration_ms: durationMs,
          usage: answer.usage ? { ...answer.usage } : null,
        },
        { correlationIds: [promptId] },
      );
      return {
        provider: name,
        prompt_id: context.correlation_id,
        response: answer.text,
        model,
        tokens_used: answer.tokensUsed,
        duration_ms: durationMs,
      };
    },

    failurePayload: (command, failure) => ({
      provider: providerName(command).slice(0, MAX_SHORT),
      model: command.model,
      error_message: failure.message.slice(0, MAX_MESSAGE),
      error_code: errorCode(failure),
      is_retryable: failure.retryable,
      retry_count: failure.retryCount,
    }),

    onFailed(command, failure, _context, collector) {
      const promptId = collector.add('llm.prompt', llmPrompt(command));
      collector.add(
        'llm.error',
        {
          provider: providerName(command).slice(0, MAX_SHORT),
          model: command.model,
          error_message: failure.message.slice(0, MAX_MESSAGE),
          error_code: errorCode(failure),
          is_retryable: failure.retryable,
          retry_count: failure.retryCount,
        },
        { correlationIds: [promptId] },
      );
    },
  };
}

function errorCode(failure: CommandFailure): string | null {
  if (isProviderError(failure.error)) return failure.error.code.slice(0, MAX_SHORT);
  return failure.code?.slice(0, MAX_SHORT) ?? null;
}
