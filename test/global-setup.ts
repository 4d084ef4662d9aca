import { connect } from 'node:net';

function reachable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Integration tests need the real broker and Redis: fail loudly, never skip. */
export default async function setup(): Promise<void> {
  const rabbit = new URL(process.env['RABBIT_URL'] ?? 'amqp://localhost:5672');
  const redis = new URL(
    process.env['REDIS_URL'] ??
      `redis://${process.env['REDIS_HOST'] ?? 'localhost'}:${process.env['REDIS_PORT'] ?? '6379'}`,
  );
  const problems: string[] = [];
  if (!(await reachable(rabbit.hostname, Number(rabbit.port || 5672))))
    problems.push(
      `RabbitMQ is not reachable at ${rabbit.hostname}:${rabbit.port || 5672}; start it with: rabbitmq-server -detached`,
    );
  if (!(await reachable(redis.hostname, Number(redis.port || 6379))))
    problems.push(
      `Redis is not reachable at ${redis.hostname}:${redis.port || 6379}; start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
    );
  if (problems.length > 0)
    throw new Error(
      `integration services missing:\n  ${problems.join('\n  ')}\n(or run: bash scripts/services.sh)`,
    );
}
