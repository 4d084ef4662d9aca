import amqp from 'amqplib';
import { Redis } from 'ioredis';

const ANSWER_MS = 15_000;

function withDeadline<T>(what: string, promise: Promise<T>, ms = ANSWER_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * An AMQP handshake, not a port check: the kernel completes a TCP handshake into the listen backlog even
 * when the broker never accepts (out of sockets, frozen), and then every test would hang until its timeout.
 */
async function rabbitAnswers(url: string): Promise<string | undefined> {
  let connection: amqp.ChannelModel | undefined;
  const attempt = amqp.connect(url, { timeout: ANSWER_MS });
  try {
    connection = await withDeadline('AMQP handshake', attempt);
    const channel = await withDeadline('AMQP channel', connection.createChannel());
    await channel.close();
    return undefined;
  } catch (error) {
    // A handshake that completes after the deadline must not keep the process alive.
    void attempt.then((late) => late.close()).catch(() => undefined);
    return (error as Error).message;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function redisAnswers(url: string): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: ANSWER_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  try {
    await withDeadline('Redis connect', redis.connect());
    const pong = await withDeadline('Redis PING', redis.ping());
    return pong === 'PONG' ? undefined : `PING answered ${pong}`;
  } catch (error) {
    return (error as Error).message;
  } finally {
    redis.disconnect();
  }
}

/** Integration tests need the real broker and Redis answering: fail loudly and at once, never skip. */
export default async function setup(): Promise<void> {
  const rabbitUrl = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@localhost:5672';
  const redisUrl =
    process.env['REDIS_URL'] ??
    `redis://${process.env['REDIS_HOST'] ?? 'localhost'}:${process.env['REDIS_PORT'] ?? '6379'}`;
  const rabbit = new URL(rabbitUrl);
  const redis = new URL(redisUrl);
  const [rabbitProblem, redisProblem] = await Promise.all([rabbitAnswers(rabbitUrl), redisAnswers(redisUrl)]);
  const problems: string[] = [];
  if (rabbitProblem)
    problems.push(
      `RabbitMQ does not answer at ${rabbit.hostname}:${rabbit.port || 5672} (${rabbitProblem}); start it with: rabbitmq-server -detached (a broker that accepts TCP but not AMQP is wedged: rabbitmqctl stop, then start it)`,
    );
  if (redisProblem)
    problems.push(
      `Redis does not answer at ${redis.hostname}:${redis.port || 6379} (${redisProblem}); start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
    );
  if (problems.length > 0)
    throw new Error(
      `integration services missing:\n  ${problems.join('\n  ')}\n(or run: bash scripts/services.sh)`,
    );
}
