/**
 * The policy beside the contract and the broker definitions built from it (issue 18): topic patterns
 * translated to the anchored regexes RabbitMQ's topic authorisation matches, checked table-driven against
 * RabbitMQ's own topic routing on the shared broker (its own exchanges, deleted after).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokerDefinitions,
  MissingPasswordError,
  parsePasswords,
  rabbitPasswordHash,
  topicPatternRegex,
  topicPatternsRegex,
} from '../../../apps/shared/broker-definitions.js';
import { planDefinitions } from '../../../apps/shared/broker-apply.js';
import { loadPolicy, PolicyError, validatePolicy } from '../../../apps/shared/policy.js';
import { registry } from '../../../generated/registry.js';
import { createAdmin, uniqueName, type Admin } from '../../support/private-rabbit.js';

const PATTERNS = [
  'a.b',
  'a.*',
  '*.b',
  'a.#',
  '#.b',
  '#',
  'a.#.b',
  '*.#',
  '#.*',
  'a.*.#',
  '#.#',
  'a.b_c.*',
  '*',
  '#.x.#',
];
const KEYS = [
  'a',
  'b',
  'a.b',
  'a.c',
  'x.b',
  'a.b.c',
  'a.x.b',
  'a.x.y.b',
  'x.y',
  'a.b_c.d',
  'x',
  'q.x.r',
  'ab.b',
];

describe('topic pattern → regex, against RabbitMQ’s own topic matching', () => {
  let admin: Admin;
  const exchanges = new Map<string, string>();
  beforeAll(async () => {
    admin = await createAdmin();
    for (const pattern of PATTERNS) {
      const exchange = uniqueName('topicre');
      await admin.declare(exchange, `${exchange}.q`, pattern, { 'x-max-length': 1 });
      exchanges.set(pattern, exchange);
    }
  });
  afterAll(async () => {
    await admin?.cleanup();
    await admin?.close();
  });

  it.each(PATTERNS)('%s matches exactly the keys the broker routes', async (pattern) => {
    const exchange = exchanges.get(pattern)!;
    const regex = new RegExp(topicPatternRegex(pattern));
    const routed: string[] = [];
    for (const key of KEYS) if (await admin.routes(exchange, key)) routed.push(key);
    expect(KEYS.filter((k) => regex.test(k))).toEqual(routed);
  });
});

describe('read regexes against binding keys', () => {
  // A binding is allowed when every key it routes is within the policy's pattern.
  it.each([
    ['fireflies.#', 'fireflies.#', true],
    ['fireflies.#', 'fireflies.transcript.ready', true],
    ['fireflies.#', 'fireflies.*', true],
    ['fireflies.#', '#', false],
    ['fireflies.#', 'fireflies2.#', false],
    ['fireflies.*', 'fireflies.*', true],
    ['fireflies.*', 'fireflies.#', false],
    ['fireflies.*', 'fireflies.transcript', true],
    ['llm.prompt', 'llm.*', false],
    ['llm.prompt', 'llm.prompt', true],
    ['llm.prompt', 'llmXprompt', false],
  ])('policy %s, binding %s → %s', (policy, binding, allowed) => {
    expect(new RegExp(topicPatternRegex(policy)).test(binding)).toBe(allowed);
  });

  it('joins several patterns into one anchored regex', () => {
    const re = new RegExp(topicPatternsRegex(['llm.*', 'agent.thread.prompt']));
    expect(['llm.prompt', 'agent.thread.prompt'].every((k) => re.test(k))).toBe(true);
    expect(re.test('agent.thread.prompt.x')).toBe(false);
    expect(topicPatternsRegex([])).toBe('^$');
  });
});

const keys = registry.list().map((d) => d.key);

describe('the policy', () => {
  it('the shipped policy.yaml is valid against the catalogue', () => {
    const policy = loadPolicy(join(import.meta.dirname, '../../../policy.yaml'), keys);
    expect(policy.services.map((s) => s.name)).toEqual(
      expect.arrayContaining(['gateway', 'command-processor', 'file-watcher', 'fireflies']),
    );
  });

  it.each([
    [
      'a pattern matching no channel, with a suggestion',
      { services: { svc: { publish: ['llm.promt'] } } },
      '/services/svc/publish/0',
      /"llm\.promt" matches no channel of the contract \(did you mean llm\.prompt\?\)/,
    ],
    [
      'a wildcard matching no channel',
      { services: { svc: { consume: ['nope.#'] } } },
      '/services/svc/consume/0',
      /matches no channel/,
    ],
    [
      'a malformed pattern',
      { services: { svc: { publish: ['llm..prompt'] } } },
      '/services/svc/publish/0',
      /not a topic pattern/,
    ],
    ['an unknown field', { services: { svc: { publsh: ['#'] } } }, '/services/svc/publsh', /unknown field/],
    ['a bad service name', { services: { 'Bad Name': {} } }, '/services/Bad Name', /service name/],
    ['not a list', { services: { svc: { publish: 'llm.*' } } }, '/services/svc/publish', /list/],
    ['no services', { service: {} }, '/service', /unknown field/],
  ])('names %s by its pointer', (_name, document, pointer, message) => {
    let caught: unknown;
    try {
      validatePolicy(document, keys);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    const issue = (caught as PolicyError).issues.find((i) => i.pointer === pointer);
    expect(issue?.message).toMatch(message);
  });
});

describe('broker definitions', () => {
  const policy = validatePolicy(
    {
      services: {
        watcher: { publish: ['artifact.created', 'artifact.updated'] },
        processor: {
          publish: ['llm.*'],
          consume: ['agent.thread.prompt'],
          queues: ['{exchange}.commands.'],
        },
        logger: { consume: ['llm.#'] },
      },
    },
    keys,
  );
  const passwords = new Map([
    ['watcher', 'w-secret'],
    ['processor', 'p-secret'],
    ['logger', 'l-secret'],
  ]);
  const defs = brokerDefinitions(policy, { exchange: 'bb.ev', vhost: '/', passwords });

  it('one user per service, with a salted hash and never the password', () => {
    expect(defs.users.map((u) => u.name)).toEqual(['logger', 'processor', 'watcher']);
    expect(JSON.stringify(defs)).not.toMatch(/-secret/);
    const hash = defs.users.find((u) => u.name === 'watcher')!.password_hash;
    expect(rabbitPasswordHash('w-secret', Buffer.from(hash, 'base64').subarray(0, 4))).toBe(hash);
  });

  it('configure only on its own queues, write on the exchange, read on its queues', () => {
    const perms = Object.fromEntries(defs.permissions.map((p) => [p.user, p]));
    const test = (re: string, s: string) => new RegExp(re).test(s);
    expect(perms['watcher']).toMatchObject({ configure: '^$', write: '^(?:bb\\.ev)$', read: '^$' });
    const logger = perms['logger']!;
    for (const q of ['bb.ev.logger.q', 'bb.ev.logger.q.dlq', 'bb.ev.logger.q.retry.1000'])
      expect(test(logger.configure, q), q).toBe(true);
    for (const q of ['bb.ev', 'bb.ev.processor.q', 'bb.ev.logger.qx', 'other'])
      expect(test(logger.configure, q), q).toBe(false);
    expect(test(logger.read, 'bb.ev')).toBe(true);
    expect(test(logger.write, 'amq.default')).toBe(true);
    const processor = perms['processor']!;
    expect(test(processor.configure, 'bb.ev.commands.agent.thread.prompt.retry.1000')).toBe(true);
    expect(test(processor.configure, 'bb.ev.commandsX')).toBe(false);
  });

  it('topic permissions from the publish and consume patterns', () => {
    const topics = Object.fromEntries(defs.topic_permissions.map((p) => [p.user, p]));
    expect(topics['watcher']).toMatchObject({
      exchange: 'bb.ev',
      write: '^(?:artifact\\.created|artifact\\.updated)$',
      read: '^$',
    });
    expect(topics['logger']).toMatchObject({ write: '^$', read: '^llm(?:\\.[^.]+)*$' });
  });

  it('a service without a password is an error naming it', () => {
    expect(() =>
      brokerDefinitions(policy, { exchange: 'bb.ev', vhost: '/', passwords: new Map([['watcher', 'x']]) }),
    ).toThrow(MissingPasswordError);
  });

  it('reads passwords files', () => {
    expect(parsePasswords('# c\n\nwatcher = a=b\n', 'f').get('watcher')).toBe('a=b');
    expect(() => parsePasswords('watcher\n', 'f')).toThrow(/f line 1/);
  });

  it('plans only what changes', () => {
    const samePassword = (hash: string, service: string) =>
      rabbitPasswordHash(passwords.get(service)!, Buffer.from(hash, 'base64').subarray(0, 4)) === hash;
    expect(planDefinitions(defs, defs, samePassword)).toEqual([]);
    const plan = planDefinitions(
      defs,
      {
        users: defs.users.filter((u) => u.name !== 'logger'),
        permissions: defs.permissions.map((p) => (p.user === 'watcher' ? { ...p, write: '.*' } : p)),
        topic_permissions: defs.topic_permissions,
        exchanges: defs.exchanges,
        vhosts: defs.vhosts,
      },
      samePassword,
    );
    expect(plan).toEqual(['+ user logger', '~ permissions of watcher on /: write ^(?:bb\\.ev)$']);
  });
});
