/**
 * What the gateway benches share: the autocannon runner (a child process, JSON out) and the baseline
 * route that publishes the request body as is with Bloodbank's wire-format properties and headers
 * (DESIGN.md §6), confirmed, on a raw amqplib channel.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ConfirmChannel, Options } from 'amqplib';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface CannonResult {
  requests: { average: number };
  latency: { p50: number; p90: number; p99: number };
  '2xx': number;
  non2xx: number;
}

export interface CannonOptions {
  readonly url: string;
  /** File holding the POST body. */
  readonly bodyFile: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly seconds: number;
  readonly connections: number;
  /** Fixed request rate (autocannon `-R`); null: as fast as it answers. */
  readonly rate?: number | null;
}

/** Runs autocannon (POST) in a child process and returns its JSON result. */
export function cannon(options: CannonOptions): Promise<CannonResult> {
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [bin, '-c', String(options.connections), '-d', String(options.seconds), '-m', 'POST'];
  args.push('-i', options.bodyFile, '-j');
  for (const [k, v] of Object.entries(options.headers)) args.push('-H', `${k}=${v}`);
  if (options.rate !== undefined && options.rate !== null) args.push('-R', String(options.rate));
  args.push(options.url);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout) as CannonResult);
    });
  });
}

export interface OpenLoopResult {
  readonly rate: number;
  readonly seconds: number;
  readonly requests: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly achievedPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * POSTs at a truly fixed rate (evenly spaced arrivals, latency counted from when each request was due)
 * in a child process: scripts/bench/open-loop.mjs, which says why `autocannon -R` is not that.
 */
export function openLoop(options: {
  readonly url: string;
  readonly bodyFile: string;
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
  readonly warmUpSeconds?: number;
}): Promise<OpenLoopResult> {
  const script = fileURLToPath(new URL('./open-loop.mjs', import.meta.url));
  const args = [
    script,
    options.url,
    options.bodyFile,
    String(options.rate),
    String(options.seconds),
    String(options.connections),
    String(options.warmUpSeconds ?? 2),
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout) as OpenLoopResult);
    });
  });
}

/** The AMQP properties and headers of Bloodbank's wire format for a message of `key` from `clientIp`. */
export function wireOptions(key: string, clientIp: string): { id: string; options: Options.Publish } {
  const id = randomUUID();
  const now = new Date();
  return {
    id,
    options: {
      persistent: true,
      mandatory: true,
      messageId: id,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      type: key,
      timestamp: Math.floor(now.getTime() / 1000),
      appId: 'http-client',
      headers: {
        cloudEvents_specversion: '1.0',
        cloudEvents_id: id,
        cloudEvents_type: key,
        cloudEvents_source: `urn:bloodbank:http-client@${clientIp}`,
        cloudEvents_time: now.toISOString(),
        'bb-correlation-id': id,
      },
    },
  };
}

/**
 * `POST path` on a bare Fastify app (its JSON parser must keep the raw body): publishes the body as is
 * with the wire format's properties, and answers through `answer` once the broker confirmed (503 when nacked).
 */
export function addWireRoute(
  app: FastifyInstance,
  path: string,
  target: { readonly channel: ConfirmChannel; readonly exchange: string; readonly key: string },
  answer: (reply: FastifyReply, id: string) => void,
): void {
  app.post(path, (request, reply) => {
    const { id, options } = wireOptions(target.key, request.ip);
    target.channel.publish(target.exchange, target.key, request.body as Buffer, options, (error: unknown) => {
      if (error) void reply.code(503).send({ error: 'nacked' });
      else answer(reply, id);
    });
    return reply;
  });
}
