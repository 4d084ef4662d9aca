/**
 * Correlation tracker benchmark: a 1,000-deep ancestor chain read by the server-side Lua walk
 * (`getChain`, one round trip) against a client-side walk (one GET per node), and `addCorrelation`
 * throughput with many calls in flight (pipelined) against one call at a time.
 *
 *   npx tsx --conditions=bloodbank-source scripts/bench/tracker.ts
 *
 * Uses REDIS_URL (default redis://localhost:6379/0) under a unique key prefix it deletes afterwards.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { loadConfig } from '../../runtime/config.js';
import { CorrelationTracker } from '../../runtime/redis/correlation-tracker.js';

const DEPTH = 1000;
const RUNS = 20;
const ADDS = 5000;
const WINDOW = 500;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** The walk a client without the Lua script would do: one GET per ancestor, post-order as getChain. */
async function clientSideAncestors(
  redis: Redis,
  prefix: string,
  start: string,
  maxDepth: number,
): Promise<string[]> {
  const chain: string[] = [];
  const visited = new Set<string>([start]);
  const parentsOf = async (id: string): Promise<string[]> => {
    const raw = await redis.get(`${prefix}:forward:${id}`);
    if (raw === null) return [];
    const ids = (JSON.parse(raw) as { parent_event_ids?: unknown }).parent_event_ids;
    return Array.isArray(ids) ? ids.filter((p): p is string => typeof p === 'string') : [];
  };
  const stack: Array<{ id: string; depth: number; next: string[]; i: number }> = [
    { id: start, depth: 0, next: await parentsOf(start), i: 0 },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (!top) break;
    const id = top.next[top.i];
    if (id !== undefined) {
      top.i++;
      if (!visited.has(id) && top.depth + 1 < maxDepth) {
        visited.add(id);
        stack.push({ id, depth: top.depth + 1, next: await parentsOf(id), i: 0 });
      }
    } else {
      stack.pop();
      if (top.id !== start || top.next.length > 0) chain.push(top.id);
    }
  }
  return chain;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

export async function benchTracker(): Promise<Record<string, number>> {
  const url = loadConfig().redisUrl;
  const prefix = `bbbench:${randomUUID().slice(0, 8)}:correlation`;
  const tracker = new CorrelationTracker({ url, keyPrefix: prefix, ttlDays: 1 });
  const redis = new Redis(url);
  try {
    await tracker.start();
    const ids = Array.from({ length: DEPTH }, () => randomUUID());
    for (let i = 1; i < DEPTH; i += WINDOW)
      await Promise.all(
        ids.slice(i, i + WINDOW).map((id, j) => tracker.addCorrelation(id, [ids[i + j - 1] ?? ''])),
      );
    const last = ids[DEPTH - 1] ?? '';

    const server = await tracker.getChain(last, 'ancestors', DEPTH);
    const client = await clientSideAncestors(redis, prefix, last, DEPTH);
    if (server.length !== DEPTH || client.join() !== server.join())
      throw new Error(`bench: chains differ (server ${server.length}, client ${client.length})`);

    const serverMs: number[] = [];
    const clientMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      serverMs.push(await time(() => tracker.getChain(last, 'ancestors', DEPTH)));
      clientMs.push(await time(() => clientSideAncestors(redis, prefix, last, DEPTH)));
    }

    const parent = randomUUID();
    const serialMs = await time(async () => {
      for (let i = 0; i < ADDS; i++) await tracker.addCorrelation(randomUUID(), [parent]);
    });
    const pipelinedMs = await time(async () => {
      for (let i = 0; i < ADDS; i += WINDOW)
        await Promise.all(
          Array.from({ length: Math.min(WINDOW, ADDS - i) }, () =>
            tracker.addCorrelation(randomUUID(), [parent]),
          ),
        );
    });

    const chainServer = median(serverMs);
    const chainClient = median(clientMs);
    return {
      chain_depth: DEPTH,
      chain_server_ms_median: round(chainServer),
      chain_client_ms_median: round(chainClient),
      chain_speedup: round(chainClient / chainServer),
      add_pipelined_per_s: Math.round((ADDS / pipelinedMs) * 1000),
      add_serial_per_s: Math.round((ADDS / serialMs) * 1000),
      add_speedup: round(serialMs / pipelinedMs),
    };
  } finally {
    await deleteKeys(redis, prefix);
    await tracker.close();
    redis.disconnect();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function printTable(r: Record<string, number>): void {
  const rows: Array<[string, string, string]> = [
    [
      `getChain ${r['chain_depth']}-deep ancestors (median of ${RUNS})`,
      `${r['chain_server_ms_median']} ms (Lua, 1 round trip)`,
      `${r['chain_client_ms_median']} ms (1 GET per node) → ${r['chain_speedup']}× faster; target < 20 ms: ${(r['chain_server_ms_median'] ?? Infinity) < 20 ? 'met' : 'MISSED'}`,
    ],
    [
      `addCorrelation × ${ADDS}`,
      `${r['add_pipelined_per_s']}/s (${WINDOW} in flight)`,
      `${r['add_serial_per_s']}/s (one at a time) → ${r['add_speedup']}×`,
    ],
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c as 0 | 1 | 2].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  │  '));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchTracker().then(printTable, (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
