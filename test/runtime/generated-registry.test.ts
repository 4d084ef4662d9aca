/** The runtime with the generated registry: validation errors name the field under /payload, on both transports. */
import { describe, expect, it } from 'vitest';
import { registry } from '../../generated/index.js';
import { createPublisher, isPayloadValidationError } from '../../runtime/index.js';
import { createMemoryBus } from '../../runtime/memory/index.js';

const transports = [
  ['amqp publisher', () => createPublisher({ registry, exchange: `bb.test.genreg.${process.pid}` })],
  ['memory bus', () => createMemoryBus({ registry })],
] as const;

describe.each(transports)('%s with the generated registry', (_name, make) => {
  it('rejects an invalid payload before sending, naming every pointer and rule', async () => {
    const bus = make();
    try {
      const payload = {
        media_file: 'x'.repeat(9000),
        media_duration_seconds: 'long',
        media_type: 'audio/mpeg',
      };
      const error = await bus.publish('fireflies.transcript.upload', payload as never).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isPayloadValidationError(error)).toBe(true);
      if (!isPayloadValidationError(error)) return;
      expect(error.issues.map((i) => `${i.pointer} ${i.rule}`).sort()).toEqual([
        '/payload/media_duration_seconds type',
        '/payload/media_file maxLength',
      ]);
      expect(error.message).toMatch(
        /^cannot publish fireflies\.transcript\.upload: payload\/media_file must NOT have more than 8192 characters; payload\/media_duration_seconds must be integer$/,
      );
    } finally {
      await bus.close();
    }
  });
});
