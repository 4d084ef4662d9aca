/**
 * OpenAI's Chat Completions API: `POST {base}/v1/chat/completions` with `Authorization: Bearer`, body
 * `{ model, messages: [{ role: "system" }?, { role: "user", content }] }`; the answer is
 * `choices[0].message.content`, tokens are `usage.total_tokens`. Works with OpenAI-compatible servers
 * through `OPENAI_BASE_URL`.
 */
import {
  endpoint,
  invalidResponse,
  missingKey,
  postJson,
  type HttpProviderOptions,
  type LlmProvider,
} from './provider.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com';
export const OPENAI_DEFAULT_MODEL = 'gpt-4o-mini';

interface ChatCompletionResponse {
  readonly model?: unknown;
  readonly choices?: unknown;
  readonly usage?: {
    readonly total_tokens?: unknown;
    readonly prompt_tokens?: unknown;
    readonly completion_tokens?: unknown;
  };
}

export function createOpenAiProvider(options: HttpProviderOptions = {}): LlmProvider {
  const name = 'openai';
  return {
    name,
    async complete(request) {
      if (!options.apiKey) throw missingKey(name, 'OPENAI_API_KEY');
      const model = request.model ?? options.defaultModel ?? OPENAI_DEFAULT_MODEL;
      const messages = [
        ...(request.systemPrompt ? [{ role: 'system', content: request.systemPrompt }] : []),
        { role: 'user', content: request.prompt },
      ];
      const res = (await postJson(
        name,
        endpoint(options.baseUrl ?? OPENAI_DEFAULT_BASE_URL, 'chat/completions'),
        { authorization: `Bearer ${options.apiKey}` },
        { model, messages },
        {
          signal: request.signal,
          timeoutMs: options.timeoutMs ?? 120_000,
          fetch: options.fetch ?? fetch,
        },
      )) as ChatCompletionResponse;
      const first = Array.isArray(res.choices)
        ? (res.choices[0] as { message?: { content?: unknown } } | undefined)
        : undefined;
      const content = first?.message?.content;
      if (typeof content !== 'string') throw invalidResponse(name, 'no choices[0].message.content');
      const u = res.usage;
      const tokensUsed =
        typeof u?.total_tokens === 'number'
          ? u.total_tokens
          : typeof u?.prompt_tokens === 'number' || typeof u?.completion_tokens === 'number'
            ? Number(u.prompt_tokens ?? 0) + Number(u.completion_tokens ?? 0)
            : null;
      return {
        text: content,
        model: typeof res.model === 'string' ? res.model : model,
        tokensUsed,
        usage: u && typeof u === 'object' ? { ...u } : null,
      };
    },
  };
}
