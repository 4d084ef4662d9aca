import { createMemoryBus } from '../../runtime/memory/index.js';
import { createContractRegistry } from '../support/contract-registry.js';
import { defineTransportContract } from './suite.js';

const FEATURES = { deliveryTimeoutMs: 3_000, quietMs: 50, backoffSlackMs: 5 };

for (const wire of ['envelope', 'bare'] as const)
  defineTransportContract(
    'in-memory',
    async ({ retry, idempotency, metrics, bare }) => {
      const bus = createMemoryBus({
        registry: createContractRegistry({ bare }),
        retry,
        ...(idempotency ? { idempotency } : {}),
        ...(metrics ? { metrics } : {}),
      });
      let n = 0;
      return {
        publisher: bus,
        subscriber: bus,
        service: (label) => `${label}-${++n}`,
        publishRaw: async (routingKey, body) => {
          bus.inject(routingKey, body);
        },
        deadLetters: async (service) => bus.deadLetters(service),
        depth: async (service) => bus.queueStats(service)?.messageCount ?? null,
        close: () => bus.close(),
      };
    },
    { ...FEATURES, wire },
  );
