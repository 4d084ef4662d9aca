/**
 * The echo provider: offline and deterministic, the default (and what tests use). It answers like the
 * original's `AgentThreadPrompt.execute()`: "Echoing your prompt: <prompt>". `tokensUsed` counts the
 * whitespace-separated words of prompt and answer, so it is stable for a given prompt.
 */
import type { LlmProvider } from './provider.js';

export interface EchoProviderOptions {
  /** Wait this long before answering (tests use it to land a crash mid-handler). Honours the signal. */
  readonly delayMs?: number;
}

export const ECHO_PREFIX = 'Echoing your prompt: ';

export function createEchoProvider(options: EchoProviderOptions = {}): LlmProvider {
  return {
    name: 'echo',
    async complete(request) {
      if (options.delayMs) await sleep(options.delayMs, request.signal);
      const text = ECHO_PREFIX + request.prompt;
      const tokensUsed = words(request.prompt) + words(text);
      return {
        text,
        model: request.model,
        tokensUsed,
        usage: { input_tokens: words(request.prompt), output_tokens: words(text) },
      };
    },
  };
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
