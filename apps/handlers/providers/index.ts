/** LLM providers of the agent.thread.prompt handler, by name. */
import type { BloodbankConfig } from 'bloodbank';
import { createAnthropicProvider } from './anthropic.js';
import { createEchoProvider } from './echo.js';
import { createOpenAiProvider } from './openai.js';
import type { LlmProvider } from './provider.js';

export {
  ANTHROPIC_DEFAULT_BASE_URL,
  ANTHROPIC_DEFAULT_MODEL,
  ANTHROPIC_VERSION,
  createAnthropicProvider,
} from './anthropic.js';
export type { AnthropicProviderOptions } from './anthropic.js';
export { ECHO_PREFIX, createEchoProvider } from './echo.js';
export type { EchoProviderOptions } from './echo.js';
export { OPENAI_DEFAULT_BASE_URL, OPENAI_DEFAULT_MODEL, createOpenAiProvider } from './openai.js';
export { endpoint } from './provider.js';
export type { HttpProviderOptions, LlmCompletion, LlmProvider, LlmRequest } from './provider.js';

export type ProviderSet = Readonly<Record<string, LlmProvider>>;

/**
 * `echo`, `anthropic` and `openai`, configured from `ANTHROPIC_API_KEY` / `ANTHROPIC_BASE_URL` and
 * `OPENAI_API_KEY` / `OPENAI_BASE_URL` (a real provider without its key fails each command at once, not
 * retried). `overrides` replace or add providers by name.
 */
export function createProviders(
  config: Pick<BloodbankConfig, 'anthropicApiKey' | 'anthropicBaseUrl' | 'openaiApiKey' | 'openaiBaseUrl'>,
  overrides: ProviderSet = {},
): ProviderSet {
  return {
    echo: createEchoProvider(),
    anthropic: createAnthropicProvider({ apiKey: config.anthropicApiKey, baseUrl: config.anthropicBaseUrl }),
    openai: createOpenAiProvider({ apiKey: config.openaiApiKey, baseUrl: config.openaiBaseUrl }),
    ...overrides,
  };
}
