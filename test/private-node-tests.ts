/**
 * Test files that start a private RabbitMQ node or redis-server (DESIGN.md §8) and break it: they run
 * one at a time, after the rest of the suite (vitest.config.ts). A node SIGKILLed and restarted while
 * the two cores are saturated has come back without its bindings (seen in CI on RabbitMQ 3.10.8:
 * publishes returned unroutable), which is the broker's recovery under load, not what these tests
 * check. test/architecture checks that every file starting such a node is listed here.
 */
export const PRIVATE_NODE_TESTS = [
  'test/apps/cli/broker.test.ts',
  'test/apps/cli/dlq-list.test.ts',
  'test/apps/gateway/broker-down.test.ts',
  'test/runtime/amqp/access.test.ts',
  'test/runtime/amqp/cluster-failover.test.ts',
  'test/runtime/amqp/consumer-fault.test.ts',
  'test/runtime/amqp/publisher-fault.test.ts',
  'test/runtime/end-to-end-fault.test.ts',
  'test/runtime/redis/outage.test.ts',
  'test/runtime/redis/sentinel-failover.test.ts',
  'test/runtime/mqtt.test.ts',
  'test/runtime/tls.test.ts',
  'test/scripts/sweep-test-leftovers.test.ts',
];
