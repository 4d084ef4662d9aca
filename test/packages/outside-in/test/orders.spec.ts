import { createMemoryBus } from 'bloodbank/testing';
import { expect, it } from 'vitest';
import { registry } from '../src/generated/index.js';

it('the warehouse ships what is placed', async () => {
  const bus = createMemoryBus({ registry });
  await bus.subscribe(
    'shop.order.placed',
    async (event) => {
      await bus.publish(
        'shop.order.shipped',
        { order_id: event.payload.order_id, carrier: 'dhl' },
        { correlationIds: [event.event_id] },
      );
    },
    { service: 'warehouse' },
  );
  await bus.subscribe('shop.order.shipped', () => {}, { service: 'mailer' });
  await bus.publish('shop.order.placed', { order_id: 'o-1', total: 12.5 });
  await bus.waitFor('shop.order.shipped');
  expect(bus.published('shop.order.shipped').map((e) => e.payload)).toEqual([
    { order_id: 'o-1', carrier: 'dhl' },
  ]);
});
