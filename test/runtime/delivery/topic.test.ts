import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { assertTopicPattern, compileTopicPatterns, topicMatches } from '../../../runtime/delivery/topic.js';

/** [pattern, routing key, matches] */
const CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ['a.b', 'a.b', true],
  ['a.b', 'a.b.c', false],
  ['a.b', 'a', false],
  ['a.*', 'a.b', true],
  ['a.*', 'a', false],
  ['a.*', 'a.b.c', false],
  ['*.b', 'a.b', true],
  ['*', 'a', true],
  ['*', 'a.b', false],
  ['a.#', 'a', true],
  ['a.#', 'a.b', true],
  ['a.#', 'a.b.c.d', true],
  ['a.#', 'b.a', false],
  ['#', 'a', true],
  ['#', 'a.b.c', true],
  ['#.c', 'c', true],
  ['#.c', 'a.b.c', true],
  ['#.c', 'a.b.c.d', false],
  ['a.#.c', 'a.c', true],
  ['a.#.c', 'a.b.b.c', true],
  ['a.#.c', 'a.b.d', false],
  ['a.*.#', 'a', false],
  ['a.*.#', 'a.b', true],
  ['a.#.#', 'a', true],
  ['#.*', 'a', true],
  ['#.*', 'a.b', true],
  ['*.*', 'a', false],
  ['a.#.b.#', 'a.b', true],
  ['a.#.b.#', 'a.x.b.y.z', true],
  ['fireflies.transcript.#', 'fireflies.transcript.ready', true],
  ['fireflies.*.ready', 'fireflies.transcript.ready.v2', false],
  ['theboard.meeting.#', 'theboard.meeting.participant.turn.completed', true],
];

describe('topicMatches', () => {
  it.each(CASES)('%s vs %s → %s', (pattern, key, want) => {
    expect(topicMatches(pattern, key)).toBe(want);
  });

  it.each(['', 'a..b', 'a.', '.a', 'a.b*', 'a.#x', 'a b'])('rejects the pattern %j', (pattern) => {
    expect(() => assertTopicPattern(pattern)).toThrow(RangeError);
  });

  it('agrees with RabbitMQ on every case', async () => {
    const conn = await amqp.connect(process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672');
    const ch = await conn.createConfirmChannel();
    const exchange = `bbtest.topic.${randomBytes(4).toString('hex')}`;
    try {
      await ch.assertExchange(exchange, 'topic', { durable: false, autoDelete: true });
      const patterns = [...new Set(CASES.map(([p]) => p))];
      const queues = new Map<string, string>();
      for (const p of patterns) {
        const { queue } = await ch.assertQueue('', { exclusive: true });
        await ch.bindQueue(queue, exchange, p);
        queues.set(p, queue);
      }
      const keys = [...new Set(CASES.map(([, k]) => k))];
      for (const k of keys) ch.publish(exchange, k, Buffer.from(k));
      await ch.waitForConfirms();
      const broker: Array<[string, string, boolean]> = [];
      for (const p of patterns) {
        const got = new Set<string>();
        for (;;) {
          const m = await ch.get(queues.get(p) as string, { noAck: true });
          if (m === false) break;
          got.add(m.content.toString());
        }
        for (const k of keys) broker.push([p, k, got.has(k)]);
      }
      const ours = broker.map(([p, k]) => [p, k, topicMatches(p, k)]);
      expect(ours).toEqual(broker);
    } finally {
      await ch.deleteExchange(exchange).catch(() => {});
      await conn.close();
    }
  });
});

describe('compileTopicPatterns', () => {
  it('answers as topicMatches for every key, asked twice, before and past its 1,024 remembered keys', () => {
    const patterns = ['a.*.c', 'x.#'];
    const matches = compileTopicPatterns(patterns);
    const keys = Array.from({ length: 3000 }, (_, i) =>
      i % 3 === 0 ? `a.${i}.c` : i % 3 === 1 ? `x.${i}` : `b.${i}`,
    );
    for (const round of [1, 2])
      for (const key of keys)
        expect(matches(key), `${key} (round ${round})`).toBe(patterns.some((p) => topicMatches(p, key)));
  });

  it('rejects an invalid pattern when compiled', () => {
    expect(() => compileTopicPatterns(['a..b'])).toThrow(RangeError);
  });
});
