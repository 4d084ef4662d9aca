import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DeprecationNotices } from '../../runtime/deprecation.js';
import { createMemoryBus } from '../../runtime/memory/index.js';
import { createMetrics } from '../../runtime/metrics.js';
import { createRegistry, type Registry } from '../../runtime/registry.js';
import { type ContractCatalog, createContractRegistry } from '../support/contract-registry.js';

/** The contract registry with contract.item.created deprecated in favour of its v2. */
function deprecatedRegistry(): Registry<ContractCatalog> {
  const base = createContractRegistry();
  return createRegistry<ContractCatalog>(
    base
      .list()
      .map((d) =>
        d.key === 'contract.item.created'
          ? { ...d, version: 1, deprecated: true, supersededBy: 'contract.item.created.v2' }
          : d,
      ),
    base.envelope,
  );
}

async function count(metrics: ReturnType<typeof createMetrics>, eventType: string): Promise<number> {
  const m = await metrics.deprecatedPublished?.get();
  return m?.values.find((v) => v.labels['event_type'] === eventType)?.value ?? 0;
}

describe('publishing a deprecated event', () => {
  it('counts bloodbank_deprecated_published_total{event_type} on every publish, and only for deprecated events', async () => {
    const metrics = createMetrics();
    const bus = createMemoryBus({ registry: deprecatedRegistry(), metrics });
    await bus.subscribe('contract.#', () => {}, { service: 'sink' });
    await bus.publish('contract.item.created', { n: 1 });
    await bus.publish('contract.item.created', { n: 2 });
    await bus.publish('contract.item.deleted', { n: 3 });
    expect(await count(metrics, 'contract.item.created')).toBe(2);
    expect(await count(metrics, 'contract.item.deleted')).toBe(0);
    expect(await metrics.registry.metrics()).toContain(
      'bloodbank_deprecated_published_total{event_type="contract.item.created"} 2',
    );
    await bus.close();
  });

  it('logs once per routing key, naming the version to move to', () => {
    const lines: Array<{ msg: string; event_type: string; superseded_by: string | null }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const notices = new DeprecationNotices(pino(stream), undefined);
    const def = deprecatedRegistry().require('contract.item.created');
    notices.note(def);
    notices.note(def);
    notices.note(deprecatedRegistry().require('contract.item.deleted'));
    expect(lines).toEqual([
      expect.objectContaining({
        event_type: 'contract.item.created',
        superseded_by: 'contract.item.created.v2',
        msg: 'publishing deprecated event contract.item.created; publish contract.item.created.v2 instead',
      }),
    ]);
  });
});
