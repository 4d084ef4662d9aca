/** `bb show <key>` lists an event's versions (supersedes / supersededBy / deprecated / upcaster). */
import { describe, expect, it } from 'vitest';
import { versionLines, versionsOf } from '../../../apps/cli/commands/catalog.js';
import { registry as shipped } from '../../../generated/registry.js';
import { registry } from '../../fixtures/codegen/versioned/generated/registry.js';

describe('bb show versions', () => {
  it('walks the chain from either end, oldest first, with deprecation and the upcaster', () => {
    const expected = [
      {
        event_type: 'shop.order.placed',
        version: 1,
        deprecated: true,
        supersedes: null,
        superseded_by: 'shop.order.placed.v2',
        upcast_from: null,
      },
      {
        event_type: 'shop.order.placed.v2',
        version: 2,
        deprecated: false,
        supersedes: 'shop.order.placed',
        superseded_by: null,
        upcast_from: 'shop.order.placed',
      },
    ];
    expect(versionsOf(registry, registry.require('shop.order.placed'))).toEqual(expected);
    expect(versionsOf(registry, registry.require('shop.order.placed.v2'))).toEqual(expected);
    expect(versionLines(expected, 'shop.order.placed')).toEqual([
      '    v1  shop.order.placed  (this one; deprecated)',
      '    v2  shop.order.placed.v2  (upcasts from shop.order.placed: subscribe with acceptOlder)',
    ]);
  });

  it('lists nothing for an event with one version', () => {
    expect(versionsOf(registry, registry.require('shop.order.shipped'))).toEqual([]);
    expect(versionsOf(shipped, shipped.require('llm.prompt'))).toEqual([]);
  });
});
