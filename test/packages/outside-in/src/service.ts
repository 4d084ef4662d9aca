import { connectBloodbank } from 'bloodbank';
import { registry } from './generated/index.js';

const bus = await connectBloodbank({ registry, name: 'orders' }); // RABBIT_URL, REDIS_URL, EXCHANGE_NAME

let shipped!: (eventId: string) => void;
let mailed!: (orderId: string) => void;
const shippedId = new Promise<string>((resolve) => (shipped = resolve));
const mailedOrder = new Promise<string>((resolve) => (mailed = resolve));

await bus.subscribe('shop.order.shipped', (event) => mailed(event.payload.order_id), { service: 'mailer' });
await bus.subscribe(
  'shop.order.placed',
  async (event) => {
    const receipt = await bus.publish(
      'shop.order.shipped',
      { order_id: event.payload.order_id, carrier: 'dhl' },
      { correlationIds: [event.event_id] }, // recorded in Redis: the placed order caused the shipment
    );
    shipped(receipt.eventId);
  },
  { service: 'warehouse' },
);

const placed = await bus.publish('shop.order.placed', { order_id: 'o-1', total: 12.5 });
const [child, order] = await Promise.all([shippedId, mailedOrder]);
const parents = await bus.tracker?.getParents(child);
console.log(JSON.stringify({ placed: placed.eventId, shipped: child, mailed: order, parents }));
await bus.close();
