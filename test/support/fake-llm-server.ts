/**
 * A local HTTP server that answers like the Anthropic Messages API (`POST /v1/messages`) and the OpenAI
 * Chat Completions API (`POST /v1/chat/completions`), records every request (method, path, headers,
 * parsed body), and can be told to fail the next calls with the vendors' error shapes (429, 500, 400…).
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface FakeFailure {
  readonly status: number;
  /** Vendor error type (`rate_limit_error`, `invalid_request_error`…). */
  readonly type?: string;
  readonly message?: string;
}

export interface FakeLlmServer {
  /** `http://127.0.0.1:<port>` (no `/v1`). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** The next calls fail with these, in order; then calls succeed again. */
  failNext(...failures: FakeFailure[]): void;
  /** Text of successful answers (default: `fake answer to: <last user message>`). */
  answerWith(text: ((prompt: string) => string) | null): void;
  close(): Promise<void>;
}

export const FAKE_USAGE = {
  anthropic: { input_tokens: 11, output_tokens: 7 },
  openai: { prompt_tokens: 13, completion_tokens: 5, total_tokens: 18 },
} as const;

export async function startFakeLlmServer(): Promise<FakeLlmServer> {
  const requests: RecordedRequest[] = [];
  const failures: FakeFailure[] = [];
  let answer: ((prompt: string) => string) | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = raw;
      }
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const vendor =
        path === '/v1/messages' ? 'anthropic' : path === '/v1/chat/completions' ? 'openai' : null;
      if (req.method !== 'POST' || !vendor) {
        send(404, { error: { type: 'not_found_error', message: `no route ${req.method} ${path}` } });
        return;
      }
      const failure = failures.shift();
      if (failure) {
        const type = failure.type ?? defaultType(failure.status);
        const message = failure.message ?? `fake ${failure.status}`;
        if (vendor === 'anthropic') send(failure.status, { type: 'error', error: { type, message } });
        else send(failure.status, { error: { message, type, param: null, code: type } });
        return;
      }
      const b = (body ?? {}) as { model?: string; messages?: Array<{ role: string; content: string }> };
      const prompt = [...(b.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';
      const text = answer ? answer(prompt) : `fake answer to: ${prompt}`;
      if (vendor === 'anthropic')
        send(200, {
          id: 'msg_fake_1',
          type: 'message',
          role: 'assistant',
          model: b.model ?? 'claude-fake',
          content: [{ type: 'text', text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: FAKE_USAGE.anthropic,
        });
      else
        send(200, {
          id: 'chatcmpl-fake-1',
          object: 'chat.completion',
          created: 1_700_000_000,
          model: b.model ?? 'gpt-fake',
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          usage: FAKE_USAGE.openai,
        });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (...f) => void failures.push(...f),
    answerWith: (fn) => {
      answer = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function defaultType(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 401) return 'authentication_error';
  if (status === 400) return 'invalid_request_error';
  if (status === 529) return 'overloaded_error';
  return 'api_error';
}
