/**
 * `bb` on a registry of a document we did not write (issue 17 point 2), loaded with `--registry`:
 * listings and `show` print channel, address and parameters; `publish` takes `--param name=value` and
 * `--routing-key`, refuses bad values naming the parameter, publishes over AMQP (confirmed) and through
 * the gateway's route with the parameters in the query.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTopology, ensureCliBuilt, runBb, uniqueExchange } from './support.js';

const REGISTRY = ['--registry', './test/fixtures/apps/foreign-registry.mjs'];
const exchanges: string[] = [];
beforeAll(() => ensureCliBuilt(), 300_000);
afterAll(async () => {
  for (const ex of exchanges) await deleteTopology(ex).catch(() => {});
});

describe('bb catalogue of a foreign registry', () => {
  it('list-events shows each entry with its address', async () => {
    const r = await runBb([...REGISTRY, 'list-events']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /lightTurnOn\s+event\s+Turn a light on\s+smartylighting\.streetlights\.1\.0\.action\.\{streetlightId\}\.turn\.on/,
    );
    expect(r.stdout).toMatch(/anyTopic .*\(address: null, --routing-key\)/);
    const json = await runBb([...REGISTRY, 'list-events', '--json']);
    expect(JSON.parse(json.stdout)).toContainEqual(
      expect.objectContaining({
        event_type: 'commentChanged',
        channel_id: 'commentChanged',
        address: 'comment/{commentId}/{change}',
        parameters: [
          expect.objectContaining({ name: 'commentId' }),
          expect.objectContaining({ name: 'change', enum: ['edited', 'deleted'], default: 'edited' }),
        ],
      }),
    );
  });

  it('show prints channel, address, parameters and headers', async () => {
    const r = await runBb([...REGISTRY, 'show', 'commentChanged']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  channel:  commentChanged  (message commentChanged)');
    expect(r.stdout).toContain('  address:  comment/{commentId}/{change}');
    expect(r.stdout).toContain('  parameters (--param name=value):');
    expect(r.stdout).toContain('    commentId  — Id of the comment.');
    expect(r.stdout).toContain('    change  one of edited|deleted  default edited');
    expect(r.stdout).toContain('  headers:  x-tenant');
    const mqtt = await runBb([...REGISTRY, 'show', 'userSignedup.userSignedUp']);
    expect(mqtt.stdout).toContain('  delivery: mqtt');
  });
});

describe('bb publish to a foreign address', () => {
  it('refuses a missing or routing-breaking parameter, naming it (exit 2)', async () => {
    const data = ['--data', '{"command":"on"}', '--dry-run'];
    const missing = await runBb([...REGISTRY, 'publish', 'lightTurnOn', ...data]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--param streetlightId: is required');
    const dotted = await runBb([
      ...REGISTRY,
      'publish',
      'lightTurnOn',
      ...data,
      '--param',
      'streetlightId=a.b',
    ]);
    expect(dotted.code).toBe(2);
    expect(dotted.stderr).toContain("--param streetlightId: must not contain '.', '*' or '#'");
    const enumBad = await runBb([
      ...REGISTRY,
      'publish',
      'commentChanged',
      '--data',
      '{"text":"x"}',
      '--dry-run',
      '--param',
      'commentId=c1',
      '--param',
      'change=moved',
    ]);
    expect(enumBad.code).toBe(2);
    expect(enumBad.stderr).toContain('--param change: must be one of edited, deleted (enum)');
    const noKey = await runBb([...REGISTRY, 'publish', 'anyTopic', '--data', '{"text":"x"}', '--dry-run']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--routing-key: is required');
  });

  it('--dry-run names the routing key the address gives', async () => {
    const r = await runBb([
      ...REGISTRY,
      'publish',
      'lightTurnOn',
      '--data',
      '{"command":"on"}',
      '--param',
      'streetlightId=lamp7',
      '--dry-run',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('routing key smartylighting.streetlights.1.0.action.lamp7.turn.on');
    const mqtt = await runBb([
      ...REGISTRY,
      'publish',
      'userSignedup.userSignedUp',
      '--data',
      '{"id":"u1"}',
      '--dry-run',
    ]);
    expect(mqtt.stderr).toContain('routing key user.signedup');
    // RabbitMQ's MQTT plugin maps `+` to `*`: the key the runtime publishes with (apps/shared/entries.ts).
    const wildcard = await runBb([
      ...REGISTRY,
      'publish',
      'sensorAlarm',
      '--data',
      '{"text":"x"}',
      '--param',
      'level=high',
      '--dry-run',
    ]);
    expect(wildcard.stderr).toContain('(routing key site.*.alarm.high)');
    const any = await runBb([
      ...REGISTRY,
      'publish',
      'anyTopic',
      '--data',
      '{"text":"x"}',
      '--routing-key',
      'notes.daily',
      '--dry-run',
    ]);
    expect(any.stderr).toContain('routing key notes.daily');
  });

  it('publishes over AMQP, confirmed by the broker', async () => {
    const ex = uniqueExchange('foreign');
    exchanges.push(ex);
    const r = await runBb(
      [
        ...REGISTRY,
        'publish',
        'lightTurnOn',
        '--data',
        '{"command":"on"}',
        '--param',
        'streetlightId=lamp7',
        '--allow-unroutable',
      ],
      { env: { EXCHANGE_NAME: ex } },
    );
    expect(r.stderr).toContain(
      'published lightTurnOn as smartylighting.streetlights.1.0.action.lamp7.turn.on',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('--via http posts to the entry route with the parameters in the query', async () => {
    const seen: Array<{ url: string; body: string }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', body });
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ event_id: '00000000-0000-4000-8000-000000000000', event_type: 'commentChanged' }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const r = await runBb(
        [
          ...REGISTRY,
          'publish',
          'commentChanged',
          '--data',
          '{"text":"x"}',
          '--param',
          'commentId=c 1',
          '--via',
          'http',
        ],
        { env: { BLOODBANK_URL: `http://127.0.0.1:${port}` } },
      );
      expect(r.code).toBe(0);
      expect(seen).toEqual([
        { url: '/events/commentChanged?commentId=c+1&change=edited', body: '{"text":"x"}' },
      ]);
    } finally {
      server.close();
    }
  });
});
