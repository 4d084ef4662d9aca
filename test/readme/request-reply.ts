import { createRequestReply } from 'bloodbank';
import { createMemoryBus } from 'bloodbank/testing';
import { createResponders, registry } from '../fixtures/codegen/rpc-queue/generated/index.js';
import { createRequesters } from '../fixtures/codegen/rpc-requester/generated/index.js';

export async function requestReplySample(): Promise<number> {
  // On RabbitMQ: { registry, publisher: createPublisher(…), subscriber: await createSubscriber(…) }.
  const bus = createMemoryBus({ registry });
  const rpc = createRequestReply({ registry, publisher: bus, subscriber: bus });
  // The service's document: operation `quote` receives a request and replies.
  await createResponders(rpc).serveQuote(
    async (request) => ({ price: request.quantity * 2.5, currency: request.currency }),
    { service: 'quotes' },
  );
  // The client's document: the same operation as `send` with a reply.
  const { requestQuote } = createRequesters(rpc);
  const reply = await requestQuote({ sku: 'ABC-1234', quantity: 4 }, { timeoutMs: 5_000 });
  await rpc.close();
  return typeof reply.price === 'number' ? reply.price : -1; // 10
}
