/**
 * Per-key rate limiting: a fixed window per API key (or per client address without keys, and on the
 * webhook, which has no key), in memory.
 * Cheaper than a general plugin on the publishing hot path (one Map lookup, no headers on success);
 * a refused request gets 429 with `Retry-After` (seconds until the window resets). Windows of keys not
 * seen for a whole window are swept, so memory is bounded by the keys active in one window.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-error.js';

export interface RateLimitOptions {
  readonly max: number;
  readonly timeWindowMs: number;
}

export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  const { max, timeWindowMs } = options;
  if (!(max > 0) || !(timeWindowMs > 0)) throw new RangeError('rate limit: max and timeWindowMs must be > 0');
  const windows = new Map<string, { start: number; count: number }>();
  const sweep = setInterval(() => {
    const cutoff = Date.now() - timeWindowMs;
    for (const [key, w] of windows) if (w.start < cutoff) windows.delete(key);
  }, timeWindowMs);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
  app.addHook('preHandler', (request, reply, done) => {
    const config = request.routeOptions.config;
    // Open routes (health, metrics, docs) are not limited, except those that opt in (the webhook).
    if (config.auth === false && config.rateLimit !== true) return done();
    const key = request.principal?.id ?? request.ip;
    const now = Date.now();
    let w = windows.get(key);
    if (!w || now - w.start >= timeWindowMs) {
      w = { start: now, count: 0 };
      windows.set(key, w);
    }
    w.count += 1;
    if (w.count <= max) return done();
    const retryAfter = Math.max(1, Math.ceil((w.start + timeWindowMs - now) / 1000));
    void reply.header('x-ratelimit-limit', String(max));
    done(
      new HttpError(
        429,
        'rate_limited',
        `rate limit of ${max} requests per ${timeWindowMs / 1000} s exceeded; retry in ${retryAfter} s`,
        {
          headers: { 'retry-after': String(retryAfter) },
          details: { retry_after: retryAfter },
        },
      ),
    );
  });
}
