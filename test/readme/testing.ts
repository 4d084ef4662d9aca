import { createMemoryBus } from 'bloodbank/testing';
import { registry } from 'bloodbank-catalogue';

export async function testingSample(): Promise<number> {
  const bus = createMemoryBus({ registry });
  await bus.subscribe(
    'llm.prompt',
    async (event) => {
      await bus.publish(
        'llm.response',
        { provider: event.payload.provider, response: 'hi!' },
        { correlationIds: [event.event_id] },
      );
    },
    { service: 'bot' },
  );
  await bus.subscribe('llm.response', () => {}, { service: 'audit' }); // unroutable publishes are rejected, as on RabbitMQ
  await bus.publish('llm.prompt', { provider: 'echo', prompt: 'hello' });
  await bus.waitFor('llm.response');
  return bus.published('llm.response').length; // 1
}
