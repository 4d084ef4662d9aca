/**
 * The contract of an LLM provider for the agent.thread.prompt handler, and the HTTP plumbing the real
 * providers share (JSON over fetch, error classification, timeouts).
 */
import { ProviderError } from 'bloodbank';

export interface LlmRequest {
  readonly prompt: string;
  /** Null: the provider's default model. */
  readonly model: string | null;
  /** From the command's agent_context, when set. */
  readonly systemPrompt: string | null;
  /** Aborted when the processor shuts down. */
  readonly signal: AbortSignal;
}

export interface LlmCompletion {
  readonly text: string;
  /** The model that answered, as the provider reports it. */
  readonly model: string | null;
  /** Input + output tokens, as the provider counted them; null when it did not say. */
  readonly tokensUsed: number | null;
  /** The provider's usage object, as returned. */
  readonly usage: Readonly<Record<string, unknown>> | null;
}

/**
 * One LLM provider. `complete` resolves with the answer or rejects with a `ProviderError` whose
 * `retryable` says whether a retry may pass (429, 5xx, timeout, network) or not (other 4xx).
 */
export interface LlmProvider {
  readonly name: string;
  complete(request: LlmRequest): Promise<LlmCompletion>;
}

export interface HttpProviderOptions {
  readonly apiKey?: string | undefined;
  readonly baseUrl?: string | undefined;
  /** Used when the command names no model. */
  readonly defaultModel?: string;
  /** Per call (default 120,000 ms). */
  readonly timeoutMs?: number;
  /** Replaceable for tests (default: the global fetch). */
  readonly fetch?: typeof fetch;
}

/** `{base}/v1/<path>`, accepting a base that already ends with `/v1` (as the vendors' SDKs document it). */
export function endpoint(baseUrl: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base.endsWith('/v1') ? base : `${base}/v1`}/${path}`;
}

/** POST JSON; resolve with the parsed body of a 2xx, reject with a classified `ProviderError` otherwise. */
export async function postJson(
  provider: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  body: unknown,
  options: { readonly signal: AbortSignal; readonly timeoutMs: number; readonly fetch: typeof fetch },
): Promise<unknown> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any([options.signal, timeout]),
    });
  } catch (error) {
    if (timeout.aborted)
      throw new ProviderError(provider, `no response within ${options.timeoutMs} ms`, {
        status: null,
        code: 'timeout',
        retryable: true,
        cause: error,
      });
    if (options.signal.aborted) throw error;
    throw new ProviderError(provider, `request failed: ${(error as Error).message}`, {
      status: null,
      code: 'network_error',
      retryable: true,
      cause: error,
    });
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const { type, message } = apiError(parsed);
    const status = response.status;
    throw new ProviderError(provider, `HTTP ${status}${message ? `: ${message}` : ''}`, {
      status,
      code: type ?? `http_${status}`,
      retryable: status === 429 || status === 408 || status >= 500,
    });
  }
  if (parsed === null)
    throw new ProviderError(provider, `HTTP ${response.status} with a body that is not JSON`, {
      status: response.status,
      code: 'invalid_response',
      retryable: true,
    });
  return parsed;
}

/** `{ error: { type, message } }` (both vendors), or `{ error: { code, message } }`. */
function apiError(body: unknown): { type: string | null; message: string | null } {
  const error = (body as { error?: unknown } | null)?.error;
  if (!error || typeof error !== 'object') return { type: null, message: null };
  const e = error as { type?: unknown; code?: unknown; message?: unknown };
  const type = typeof e.type === 'string' ? e.type : typeof e.code === 'string' ? e.code : null;
  return { type, message: typeof e.message === 'string' ? e.message : null };
}

export function missingKey(provider: string, variable: string): ProviderError {
  return new ProviderError(provider, `no API key: set ${variable}`, {
    status: null,
    code: 'missing_api_key',
    retryable: false,
  });
}

export function invalidResponse(provider: string, what: string): ProviderError {
  return new ProviderError(provider, `unexpected response: ${what}`, {
    status: null,
    code: 'invalid_response',
    retryable: true,
  });
}
