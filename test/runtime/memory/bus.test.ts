import { describe, expect, it } from 'vitest';
import { createManualClock, createMemoryBus } from '../../../runtime/memory/index.js';
import { createContractRegistry } from '../../support/contract-registry.js';

describe('bloodbank/testing: assertions and clock', () => {
  it('records published envelopes and waits for one', async () => {
    const bus = createMemoryBus({ registry: createContractRegistry() });
    await bus.subscribe('contract.#', () => {}, { service: 'sink' });
    const later = bus.waitFor('contract.item.created', (e) => e.payload.n === 2, 500);
    await bus.publish('contract.item.created', { n: 1 });
    await bus.publish('contract.item.created', { n: 2 });
    await bus.publish('contract.item.deleted', { n: 3 });
    expect((await later).payload).toEqual({ n: 2, note: '' });
    expect(bus.published('contract.item.created').map((e) => e.payload.n)).toEqual([1, 2]);
    expect(bus.published()).toHaveLength(3);
    await expect(bus.waitFor('contract.item', undefined, 20)).rejects.toThrow(/no contract.item/);
    bus.reset();
    expect(bus.published()).toEqual([]);
    await bus.close();
  });

  it('runs backoff on a manual clock: retries only when time advances, then dead-letters', async () => {
    const clock = createManualClock();
    const bus = createMemoryBus({
      registry: createContractRegistry(),
      clock,
      retry: { maxAttempts: 3, delaysMs: [1_000, 60_000] },
    });
    const attempts: number[] = [];
    await bus.subscribe(
      'contract.item.created',
      (_e, c) => {
        attempts.push(c.attempt);
        throw new Error('nope');
      },
      { service: 'svc' },
    );
    await bus.publish('contract.item.created', { n: 1 });
    await clock.advance(0);
    expect(attempts).toEqual([1]);
    await clock.advance(999);
    expect(attempts).toEqual([1]);
    await clock.advance(1);
    expect(attempts).toEqual([1, 2]);
    await clock.advance(60_000);
    expect(attempts).toEqual([1, 2, 3]);
    const [dead] = bus.deadLetters('svc');
    expect(dead).toMatchObject({ reason: 'max-attempts', attempts: 3, error: 'Error: nope' });
    expect(Date.parse(dead?.lastFailureAt ?? '') - Date.parse(dead?.firstFailureAt ?? '')).toBe(61_000);
    await bus.settled();
    await bus.close();
  });

  it('inject() routes raw bytes like a foreign producer would', async () => {
    const bus = createMemoryBus({ registry: createContractRegistry() });
    await bus.subscribe('contract.item.*', () => {}, { service: 'svc' });
    expect(bus.inject('contract.item.created', '{"event_type":1}')).toBe(1);
    expect(bus.inject('nobody.listens', '{}')).toBe(0);
    await bus.settled();
    expect(bus.deadLetters('svc').map((d) => d.reason)).toEqual(['invalid-envelope']);
    await bus.close();
  });
});
