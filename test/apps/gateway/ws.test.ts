/**
 * `/ws/events`: live events for UIs over WebSocket (real broker).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type RawData } from 'ws';
import { createKeyStore } from '../../../apps/gateway/auth.js';
import { example, startGateway, type TestGateway } from './helpers.js';

interface Frame {
  type: string;
  routing_key?: string;
  envelope?: { event_id: string; event_type: string };
  error?: string;
  message?: string;
}

/** A client that records frames and its close. */
function connect(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
  const socket = new WebSocket(url, options);
  const frames: Frame[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (data: RawData) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('error', () => undefined);
  const until = async (predicate: (f: Frame[]) => boolean, timeoutMs = 5_000): Promise<Frame[]> => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(frames)) {
      if (Date.now() > deadline)
        throw new Error(`timed out; frames: ${JSON.stringify(frames).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return frames;
  };
  return { socket, frames, closed, until };
}

let t: TestGateway;
const publish = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { event_id: string }).event_id;
};

describe('without keys', () => {
  beforeAll(async () => {
    t = await startGateway({ ws: { keepaliveMs: 200, maxBufferedBytes: 64 * 1024 } });
  });
  afterAll(async () => t?.close());
  const ws = (query: string, options?: ConstructorParameters<typeof WebSocket>[2]) =>
    connect(`${t.url.replace('http', 'ws')}/ws/events${query}`, options);

  it('streams the published events that match the pattern (%23 for #)', async () => {
    const client = ws('?pattern=llm.%23');
    await client.until((f) => f.some((x) => x.type === 'hello'));
    expect(client.frames[0]).toMatchObject({ type: 'hello', pattern: 'llm.#' });
    await publish('/events/github/pr/created', example('github.pr.created'));
    const id = await publish('/events/llm/prompt', example('llm.prompt'));
    const frames = await client.until((f) => f.some((x) => x.type === 'event'));
    const events = frames.filter((x) => x.type === 'event');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      routing_key: 'llm.prompt',
      envelope: { event_id: id, event_type: 'llm.prompt' },
    });
    client.socket.close();
    await client.closed;
    await t.drain(2);
  });

  it.each([['?pattern=fireflies.#'], ['?pattern=#'], ['']])(
    'an unencoded # (%s) gets a clear error and close 4400',
    async (query) => {
      const client = ws(query);
      const { code, reason } = await client.closed;
      expect(code).toBe(4400);
      expect(reason).toMatch(/%23/);
      expect(client.frames).toEqual([
        expect.objectContaining({
          type: 'error',
          error: 'invalid_pattern',
          message: expect.stringMatching(/write '#' as %23/),
        }),
      ]);
    },
  );

  it('a plain GET (no upgrade) explains the pattern encoding too', async () => {
    const res = await fetch(`${t.url}/ws/events?pattern=fireflies.`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/%23/);
    expect((await fetch(`${t.url}/ws/events?pattern=fireflies.%23`)).status).toBe(426);
  });

  it('pings to keep the connection alive, and drops a client that stops answering', async () => {
    const healthy = ws('?pattern=%23');
    let pings = 0;
    healthy.socket.on('ping', () => (pings += 1));
    await new Promise((r) => setTimeout(r, 700));
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN);
    healthy.socket.close();
    const silent = ws('?pattern=%23', { autoPong: false });
    const { code } = await silent.closed;
    expect(code).toBe(1006); // terminated
  });
});

describe('a slow client', () => {
  // Kernel socket buffers on loopback take up to ~36 MB (tcp_rmem + tcp_wmem maxima) before the gateway
  // sees unsent bytes; the events go only to the stream's transient queue (nothing durable is bound).
  beforeAll(async () => {
    t = await startGateway({ bind: 'nothing.bound', ws: { maxBufferedBytes: 256 * 1024 } });
  });
  afterAll(async () => t?.close());

  const SLOW_EVENTS = 70;
  it('drops a slow client instead of buffering without bound', async () => {
    const slow = connect(`${t.url.replace('http', 'ws')}/ws/events?pattern=llm.prompt`);
    await slow.until((f) => f.some((x) => x.type === 'hello'));
    slow.socket.pause();
    const big = { ...example('llm.prompt'), prompt: 'x'.repeat(900_000) };
    // Once dropped, the client's queue is gone and further events are unroutable (422).
    let accepted = 0;
    for (let i = 0; i < SLOW_EVENTS; i += 1) {
      const res = await fetch(`${t.url}/events/llm/prompt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(big),
      });
      if (res.status === 422) break;
      expect(res.status).toBe(202);
      accepted += 1;
    }
    expect(accepted).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 500));
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/bloodbank_gateway_ws_dropped_total\{reason="slow"\} 1/);
    slow.socket.resume();
    // The close frame (1008 "slow consumer") sits behind the unread bytes; the socket is terminated 1 s later.
    const { code } = await slow.closed;
    expect([1006, 1008]).toContain(code);
    expect(slow.frames.filter((f) => f.type === 'event').length).toBeLessThan(accepted);
  });
});

describe('with keys', () => {
  const KEY = 'ws-key-0123456789abcdef';
  beforeAll(async () => {
    t = await startGateway({ apiKeys: createKeyStore([[KEY, ['llm.*']]]) });
  });
  afterAll(async () => t?.close());

  it('closes 4401 without a key, and streams only events within the key scope', async () => {
    const base = `${t.url.replace('http', 'ws')}/ws/events?pattern=%23`;
    const anonymous = connect(base);
    expect((await anonymous.closed).code).toBe(4401);
    const client = connect(`${base}&api_key=${KEY}`);
    await client.until((f) => f.some((x) => x.type === 'hello'));
    const other = await fetch(`${t.url}/events/github/pr/created`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify(example('github.pr.created')),
    });
    expect(other.status).toBe(403);
    const id = await publish('/events/llm/prompt', example('llm.prompt'), { 'x-api-key': KEY });
    await client.until((f) => f.some((x) => x.type === 'event'));
    expect(client.frames.filter((f) => f.type === 'event').map((f) => f.envelope?.event_id)).toEqual([id]);
    client.socket.close();
    await t.drain(1);
  });
});
