#!/usr/bin/env node
/**
 * An open-loop HTTP load at a truly fixed rate, for the gateway bench's latency rows (issue 13).
 *
 * Why not `autocannon -R`: autocannon gives each connection a quota per second and resets it on a 1 s
 * timer (lib/httpClient.js: `reqsMadeThisSecond`), so every connection sends its whole quota back to back
 * at the start of each second and then waits: at "1,000 requests/s" with 50 connections the server sees
 * 50 concurrent requests until the second's 1,000 are served, then nothing. The latencies it reports are
 * those of that burst (queueing behind 49 others), and a server that cannot finish a second's quota in
 * the second is measured at a lower rate than the one asked for.
 *
 * Here request n is due at start + n / rate, whatever happened before (evenly spaced arrivals), over
 * keep-alive connections (at most `connections`, Node's http.Agent), and its latency is counted from when
 * it was due, not from when a connection was free: a stalled server is charged for the requests it made
 * wait (no coordinated omission, as wrk2 measures).
 *
 *   node scripts/bench/open-loop.mjs <url> <body-file> <rate/s> <seconds> <connections> [warm-up seconds]
 *
 * Prints one JSON object: { rate, seconds, requests, ok2xx, non2xx, errors, achievedPerSecond, p50Ms,
 * p90Ms, p99Ms, maxMs }.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [url, bodyFile, rateArg, secondsArg, connectionsArg, warmArg] = process.argv.slice(2);
if (!url || !bodyFile || !rateArg || !secondsArg || !connectionsArg) {
  console.error('usage: open-loop.mjs <url> <body-file> <rate/s> <seconds> <connections> [warm-up seconds]');
  process.exit(2);
}
const body = readFileSync(bodyFile);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connectionsArg) });

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Sends `rate × seconds` requests, request n due at start + n / rate; resolves with the figures. */
function load(rate, seconds) {
  return new Promise((resolve) => {
    const total = Math.round(rate * seconds);
    const interval = 1000 / rate;
    const latencies = new Float64Array(total);
    let sent = 0;
    let done = 0;
    let ok2xx = 0;
    let non2xx = 0;
    let errors = 0;
    const start = performance.now() + 20;
    const finish = () => {
      const elapsed = (performance.now() - start) / 1000;
      const sorted = Array.from(latencies).sort((a, b) => a - b);
      const round = (n) => Math.round(n * 10) / 10;
      resolve({
        rate,
        seconds,
        requests: total,
        ok2xx,
        non2xx,
        errors,
        achievedPerSecond: Math.round(total / elapsed),
        p50Ms: round(percentile(sorted, 50)),
        p90Ms: round(percentile(sorted, 90)),
        p99Ms: round(percentile(sorted, 99)),
        maxMs: round(sorted[sorted.length - 1] ?? 0),
      });
    };
    const settle = (n, due, status) => {
      latencies[n] = performance.now() - due;
      if (status === null) errors += 1;
      else if (status >= 200 && status < 300) ok2xx += 1;
      else non2xx += 1;
      done += 1;
      if (done === total) finish();
    };
    const fire = (n, due) => {
      const request = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (response) => {
          response.resume();
          response.on('end', () => settle(n, due, response.statusCode ?? 0));
        },
      );
      request.on('error', () => settle(n, due, null));
      request.end(body);
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        fire(sent, start + sent * interval);
        sent += 1;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    setTimeout(tick, 20);
  });
}

const rate = Number(rateArg);
const warm = Number(warmArg ?? 2);
if (warm > 0) await load(rate, warm);
const result = await load(rate, Number(secondsArg));
agent.destroy();
console.log(JSON.stringify(result));
