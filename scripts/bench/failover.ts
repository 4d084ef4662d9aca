/**
 * Failover time on a private three-node cluster (test/support/private-cluster.ts): a publisher keeps
 * publishing with confirms to a quorum queue; its node is SIGKILLed; the figure is the time from the kill
 * to the first confirm on the connection to another node. Median of 5 kills (the killed node is restarted
 * and rejoins between them). Part of `npm run bench -- history`; alone: `npx tsx scripts/bench/failover.ts`.
 */
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { startPrivateCluster, type ClusterNode } from '../../test/support/private-cluster.js';
import { createTestRegistry, type TestCatalog } from '../../test/support/test-registry.js';

export interface FailoverResult {
  readonly kills: number;
  readonly 'median SIGKILL → first confirm on another node (ms)': number;
  readonly 'min (ms)': number;
  readonly 'max (ms)': number;
  readonly 'republished (total)': number;
}

export async function benchFailover(
  options: { readonly runs?: number; readonly log?: (line: string) => void } = {},
): Promise<FailoverResult> {
  const runs = options.runs ?? Number(process.env['BENCH_FAILOVER_RUNS'] ?? 5);
  const cluster = await startPrivateCluster();
  const exchange = 'bench.failover';
  try {
    const first = cluster.nodes[0] as ClusterNode;
    const admin = await amqp.connect(first.url);
    const ch = await admin.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: true });
    await ch.assertQueue('bench.failover.q', {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-max-length': 10_000, 'x-overflow': 'drop-head' },
    });
    await ch.bindQueue('bench.failover.q', exchange, '#');
    await admin.close();

    const times: number[] = [];
    let republished = 0;
    for (let run = 0; run < runs; run += 1) {
      for (const n of cluster.nodes) if (!n.running) await n.start();
      await waitForThreeNodes(first.running ? first : (cluster.nodes.find((n) => n.running) as ClusterNode));
      const publisher = createPublisher<TestCatalog>({
        registry: createTestRegistry(),
        url: cluster.urls(run % 3),
        exchange,
        connectionName: `bench-failover-${run}`,
        confirmTimeoutMs: 60_000,
      });
      const connection = await publisher.connection;
      await publisher.ready();
      let stop = false;
      let reconnectedAt = 0;
      let firstConfirmAfter = 0;
      connection.on('reconnected', () => (reconnectedAt = performance.now()));
      // Four publishers-in-a-loop keep the channel busy, as a real producer would.
      const loops = Array.from({ length: 4 }, async () => {
        let n = 0;
        while (!stop) {
          await publisher.publish('test.ping', { n: n++ }).catch(() => undefined);
          if (reconnectedAt > 0 && firstConfirmAfter === 0) firstConfirmAfter = performance.now();
        }
      });
      while (publisher.stats().confirmed < 500) await new Promise((r) => setTimeout(r, 10));
      const target = cluster.nodeOf(connection.node);
      const killedAt = performance.now();
      await target.kill();
      while (firstConfirmAfter === 0) await new Promise((r) => setTimeout(r, 5));
      times.push(firstConfirmAfter - killedAt);
      stop = true;
      await Promise.all(loops);
      republished += publisher.stats().republished;
      await publisher.close();
    }
    const sorted = [...times].sort((a, b) => a - b);
    const round = (x: number) => Math.round(x);
    return {
      kills: runs,
      'median SIGKILL → first confirm on another node (ms)': round(sorted[Math.floor(runs / 2)] ?? NaN),
      'min (ms)': round(sorted[0] ?? NaN),
      'max (ms)': round(sorted[sorted.length - 1] ?? NaN),
      'republished (total)': republished,
    };
  } finally {
    await cluster.dispose();
  }
}

async function waitForThreeNodes(node: ClusterNode): Promise<void> {
  for (;;) {
    const status = JSON.parse(await node.ctl('cluster_status', '--formatter', 'json')) as {
      running_nodes?: string[];
    };
    if ((status.running_nodes ?? []).length === 3) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.table(await benchFailover());
}
