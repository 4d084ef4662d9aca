/** Codegen is not hard-wired to our catalogue: foreign AsyncAPI 3 documents (no envelope) compile and validate. */
import { describe, expect, it } from 'vitest';
import { registry as billing } from '../fixtures/codegen/rpc-service/generated/index.js';
import { registry as streetlights } from '../fixtures/codegen/streetlights/generated/index.js';

describe('foreign documents', () => {
  it('streetlights: keys from channel addresses, no envelope, open objects tolerated', () => {
    expect(streetlights.envelope).toBeNull();
    expect(streetlights.list().map((d) => d.key)).toEqual([
      'smartylighting.streetlights.dim',
      'smartylighting.streetlights.lighting.measured',
      'smartylighting.streetlights.turn_on',
    ]);
    const measured = streetlights.require('smartylighting.streetlights.lighting.measured');
    expect(measured.examples).toHaveLength(1);
    expect(measured.validatePublish(structuredClone(measured.examples[0])).ok).toBe(true);
    const bad = streetlights
      .require('smartylighting.streetlights.dim')
      .validatePublish({ streetlightId: 'x', percentage: 101 });
    expect(bad).toEqual({
      ok: false,
      issues: [expect.objectContaining({ pointer: '/percentage', rule: 'maximum' })],
    });
  });

  it('request/reply service: the receive operation with a reply is a command with its reply and failure keys', () => {
    const create = billing.require('billing.invoice.create');
    expect(create).toMatchObject({
      kind: 'command',
      replyKey: 'billing.invoice.created',
      errorKey: 'billing.invoice.rejected',
    });
    expect(billing.listCommands().map((d) => d.key)).toEqual(['billing.invoice.create']);
    const ok = create.validatePublish({
      request_id: 'r',
      customer: { id: 'c' },
      lines: [{ sku: 'a', quantity: 1, unit_price: 1 }],
      payment: { method: 'transfer', iban: 'DE00' },
    });
    expect(ok.ok).toBe(true);
    // defaults applied on publish
    expect(ok.ok && ok.value).toMatchObject({ currency: 'EUR', customer: { email: null } });
    const bad = create.validatePublish({
      request_id: 'r',
      customer: { id: 'c' },
      lines: [],
      payment: { method: 'card', last4: '42x' },
    });
    expect(bad.ok).toBe(false);
    const pointers = bad.ok ? [] : bad.issues.map((i) => `${i.pointer} ${i.rule}`);
    expect(pointers).toContain('/lines minItems');
    expect(pointers).toContain('/payment/last4 pattern');
  });
});
