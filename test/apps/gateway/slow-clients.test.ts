/**
 * Slow clients cannot hold the gateway: 200 loopback connections trickle a byte every 100 ms (half never
 * finish their headers, half never finish their body) while normal publishes go on. With a 2 s request
 * timeout every slow one is answered 408 and closed within the timeout plus 5 s, each 408 is counted, and
 * the gateway's open connections and memory return to where they started. Publish latency is printed.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, startGateway, type TestGateway } from './helpers.js';

const TIMEOUT_MS = 2_000;
const SLOW = 200;
let t: TestGateway;

beforeAll(async () => {
  t = await startGateway({ requestTimeoutMs: TIMEOUT_MS, maxConnections: 1_000 });
});
afterAll(async () => t?.close());

const openConnections = () =>
  new Promise<number>((resolve, reject) =>
    t.gateway.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
  );

interface SlowResult {
  readonly closedAfterMs: number;
  readonly answer: string;
}

/** One slow client: sends `head`, then one byte of `rest` every 100 ms until the server closes it. */
function slowClient(port: number, head: string, rest: string): Promise<SlowResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < rest.length && !socket.destroyed) socket.write(rest[sent++] ?? ' ');
      }, 100);
    });
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
    // Bound: a client the server never closes gives up (and fails the assertions) after 30 s.
    setTimeout(() => socket.destroy(), 30_000).unref();
  });
}

async function publishLatencies(stop: () => boolean, minimum: number): Promise<number[]> {
  const body = JSON.stringify(example('llm.prompt'));
  const out: number[] = [];
  while (!stop() || out.length < minimum) {
    const started = performance.now();
    const res = await fetch(`${t.url}/events/llm/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    expect(res.status).toBe(202);
    out.push(performance.now() - started);
  }
  return out;
}

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? NaN;

describe('slow clients', () => {
  it('closes 200 trickling connections within the timeout + 5 s with 408, while publishes go on', async () => {
    const port = Number(new URL(t.url).port);
    const baselineConnections = await openConnections();
    const heapBefore = process.memoryUsage().heapUsed;
    const baseline = await publishLatencies(() => true, 200);
    await t.drain(200);

    let finished = false;
    const payload = JSON.stringify(example('llm.prompt'));
    const slow = Array.from({ length: SLOW }, (_, i) =>
      i % 2 === 0
        ? slowClient(port, 'POST /events/llm/prompt HTTP/1.1\r\nHost: x\r\n', 'X-Slow: ' + 'a'.repeat(400))
        : slowClient(
            port,
            `POST /events/llm/prompt HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`,
            payload,
          ),
    );
    const all = Promise.all(slow).finally(() => (finished = true));
    const during = await publishLatencies(() => finished, 50);
    const results = await all;

    const worst = Math.max(...results.map((r) => r.closedAfterMs));
    console.log(
      `slow clients: ${SLOW} closed, slowest after ${worst} ms (timeout ${TIMEOUT_MS} ms); ` +
        `publish p99 ${p99(baseline).toFixed(1)} ms alone (${baseline.length}), ` +
        `${p99(during).toFixed(1)} ms beside them (${during.length})`,
    );
    expect(results.filter((r) => r.closedAfterMs > TIMEOUT_MS + 5_000)).toEqual([]);
    expect(results.filter((r) => !r.answer.startsWith('HTTP/1.1 408'))).toEqual([]);
    const metrics = await t.gateway.metrics.registry.getSingleMetricAsString(
      'bloodbank_gateway_request_timeouts_total',
    );
    expect(metrics).toContain(`bloodbank_gateway_request_timeouts_total ${SLOW}`);
    // Nothing half-received was published.
    expect(await t.drain(baseline.length + during.length + SLOW, 300)).toHaveLength(during.length);

    const deadline = Date.now() + 10_000;
    while ((await openConnections()) > baselineConnections + 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await openConnections()).toBeLessThanOrEqual(baselineConnections + 1);
    const heapAfter = process.memoryUsage().heapUsed;
    console.log(
      `heap ${(heapBefore / 2 ** 20).toFixed(1)} MiB before, ${(heapAfter / 2 ** 20).toFixed(1)} MiB after`,
    );
    expect(heapAfter - heapBefore).toBeLessThan(64 * 2 ** 20);
  }, 120_000);

  it('refuses connections beyond the cap and counts them', async () => {
    const capped = await startGateway({ maxConnections: 3, requestTimeoutMs: TIMEOUT_MS });
    try {
      const port = Number(new URL(capped.url).port);
      const held = await Promise.all(
        Array.from(
          { length: 3 },
          () =>
            new Promise<Socket>((resolve) => {
              const s = connect(port, '127.0.0.1', () => resolve(s));
              s.on('error', () => undefined);
            }),
        ),
      );
      const refused = await slowClient(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', '');
      expect(refused.answer).toBe('');
      const metric = await capped.gateway.metrics.registry.getSingleMetricAsString(
        'bloodbank_gateway_connections_dropped_total',
      );
      expect(metric).toContain('bloodbank_gateway_connections_dropped_total 1');
      for (const s of held) s.destroy();
    } finally {
      await capped.close();
    }
  });
});
