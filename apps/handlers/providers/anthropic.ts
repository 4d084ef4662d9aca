/**
 * Anthropic's Messages API: `POST {base}/v1/messages` with `x-api-key` and `anthropic-version`, body
 * `{ model, max_tokens, system?, messages: [{ role: "user", content }] }`; the answer is the text blocks
 * of `content`, tokens are `usage.input_tokens + usage.output_tokens`.
 */
import {
  endpoint,
  invalidResponse,
  missingKey,
  postJson,
  type HttpProviderOptions,
  type LlmProvider,
} from './provider.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';
export const ANTHROPIC_DEFAULT_MODEL = 'claude-sonnet-4-5';

export interface AnthropicProviderOptions extends HttpProviderOptions {
  /** `max_tokens` of each call (default 4,096). */
  readonly maxTokens?: number;
}

interface MessagesResponse {
  readonly model?: unknown;
  readonly content?: unknown;
  readonly usage?: { readonly input_tokens?: unknown; readonly output_tokens?: unknown };
}

export function createAnthropicProvider(options: AnthropicProviderOptions = {}): LlmProvider {
  const name = 'anthropic';
  return {
    name,
    async complete(request) {
      if (!options.apiKey) throw missingKey(name, 'ANTHROPIC_API_KEY');
      const body = {
        model: request.model ?? options.defaultModel ?? ANTHROPIC_DEFAULT_MODEL,
        max_tokens: options.maxTokens ?? 4096,
        ...(request.systemPrompt ? { system: request.systemPrompt } : {}),
        messages: [{ role: 'user', content: request.prompt }],
      };
      const res = (await postJson(
        name,
        endpoint(options.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL, 'messages'),
        { 'x-api-key': options.apiKey, 'anthropic-version': ANTHROPIC_VERSION },
        body,
        {
          signal: request.signal,
          timeoutMs: options.timeoutMs ?? 120_000,
          fetch: options.fetch ?? fetch,
        },
      )) as MessagesResponse;
      if (!Array.isArray(res.content)) throw invalidResponse(name, 'no content array');
      const text = (res.content as Array<{ type?: unknown; text?: unknown }>)
        .filter((b) => b.type === 'text' && typeof b.text === 'string')
        .map((b) => b.text as string)
        .join('');
      const input = res.usage?.input_tokens;
      const output = res.usage?.output_tokens;
      const tokensUsed =
        typeof input === 'number' || typeof output === 'number'
          ? (typeof input === 'number' ? input : 0) + (typeof output === 'number' ? output : 0)
          : null;
      return {
        text,
        model: typeof res.model === 'string' ? res.model : body.model,
        tokensUsed,
        usage: res.usage && typeof res.usage === 'object' ? { ...res.usage } : null,
      };
    },
  };
}
