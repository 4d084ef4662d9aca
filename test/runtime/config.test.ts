import { describe, expect, it } from 'vitest';
import {
  CONFIG_VARIABLES,
  ConfigError,
  isConfigError,
  loadConfig,
  redactUrl,
  type BloodbankConfig,
} from '../../runtime/config.js';
import { isBloodbankError } from '../../runtime/errors/index.js';
import { createLogger } from '../../runtime/logger.js';

describe('loadConfig: defaults', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      rabbitUrl: 'amqp://localhost:5672',
      rabbitUrls: ['amqp://localhost:5672'],
      exchangeName: 'bloodbank.events.v1',
      exchangeNameSet: false,
      redisUrl: 'redis://localhost:6379/0',
      redisSentinels: undefined,
      redisSentinelName: 'mymaster',
      correlationTtlDays: 30,
      serviceName: 'bloodbank',
      httpHost: '0.0.0.0',
      httpHostSet: undefined,
      httpPort: 8682,
      watchPath: '.wx',
      logLevel: 'info',
      apiKeys: undefined,
      auth: 'on',
      bodyLimit: 16 * 1024 * 1024,
      registry: undefined,
      url: 'http://localhost:8682',
      apiKey: undefined,
      anthropicApiKey: undefined,
      anthropicBaseUrl: undefined,
      openaiApiKey: undefined,
      openaiBaseUrl: undefined,
      firefliesWebhookSecret: undefined,
      rateLimit: 6000,
      corsOrigins: undefined,
      managementUrl: undefined,
      jwt: undefined,
      tlsCa: undefined,
      brokerPasswords: undefined,
      history: 'on',
      historyMaxAge: '7D',
      historyMaxBytes: 5 * 1024 * 1024 * 1024,
      requestTimeoutMs: 30_000,
      maxConnections: 10_000,
    } satisfies BloodbankConfig);
  });

  it('documents every variable it reads, with the defaults it applies', () => {
    const names = CONFIG_VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    const config = loadConfig({});
    const byName = Object.fromEntries(CONFIG_VARIABLES.map((v) => [v.name, v.default]));
    expect(byName['RABBIT_URL']).toBe(config.rabbitUrl);
    expect(byName['REDIS_URL']).toBe(config.redisUrl);
    expect(Number(byName['HTTP_PORT'])).toBe(config.httpPort);
    expect(Number(byName['CORRELATION_TTL_DAYS'])).toBe(config.correlationTtlDays);
    expect(loadConfig({ BLOODBANK_BODY_LIMIT: byName['BLOODBANK_BODY_LIMIT'] ?? '' }).bodyLimit).toBe(
      config.bodyLimit,
    );
    for (const v of CONFIG_VARIABLES) expect(v.description.length, v.name).toBeGreaterThan(5);
    // no default carries credentials
    for (const v of CONFIG_VARIABLES) expect(v.default ?? '', v.name).not.toMatch(/@/);
  });
});

const cases: Array<[string, { env: Record<string, string>; want: Partial<BloodbankConfig> }]> = [
  [
    'history retention',
    {
      env: { BLOODBANK_HISTORY_MAX_AGE: '90s', BLOODBANK_HISTORY_MAX_BYTES: '512MiB' },
      want: { historyMaxAge: '90s', historyMaxBytes: 512 * 1024 * 1024 },
    },
  ],
  [
    'gateway timeouts and connection cap',
    {
      env: { BLOODBANK_REQUEST_TIMEOUT_MS: '2000', BLOODBANK_MAX_CONNECTIONS: '0' },
      want: { requestTimeoutMs: 2000, maxConnections: 0 },
    },
  ],
  [
    'amqps URL',
    {
      env: { RABBIT_URL: 'amqps://u:p@rabbit.example:5671/vh' },
      want: { rabbitUrl: 'amqps://u:p@rabbit.example:5671/vh' },
    },
  ],
  [
    'a cluster: RABBIT_URL lists the nodes, comma-separated',
    {
      env: { RABBIT_URL: 'amqp://u:p@r1:5672, amqp://u:p@r2:5672,amqps://u:p@r3:5671/vh' },
      want: {
        rabbitUrl: 'amqp://u:p@r1:5672,amqp://u:p@r2:5672,amqps://u:p@r3:5671/vh',
        rabbitUrls: ['amqp://u:p@r1:5672', 'amqp://u:p@r2:5672', 'amqps://u:p@r3:5671/vh'],
      },
    },
  ],
  [
    'RABBIT_URLS wins over RABBIT_URL',
    {
      env: { RABBIT_URLS: 'amqp://r1,amqp://r2', RABBIT_URL: 'amqp://single' },
      want: { rabbitUrl: 'amqp://r1,amqp://r2', rabbitUrls: ['amqp://r1', 'amqp://r2'] },
    },
  ],
  [
    'Redis Sentinels with a master name',
    {
      env: { REDIS_SENTINELS: 's1:26379, s2:26380,[::1]:26381', REDIS_SENTINEL_NAME: 'bb' },
      want: {
        redisSentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26380 },
          { host: '::1', port: 26381 },
        ],
        redisSentinelName: 'bb',
      },
    },
  ],
  [
    'exchange name',
    { env: { EXCHANGE_NAME: 'other.events' }, want: { exchangeName: 'other.events', exchangeNameSet: true } },
  ],
  [
    'REDIS_URL wins over the parts',
    {
      env: { REDIS_URL: 'rediss://:s3cret@cache:6380/2', REDIS_HOST: 'ignored', REDIS_PORT: '1' },
      want: { redisUrl: 'rediss://:s3cret@cache:6380/2' },
    },
  ],
  [
    'Redis URL built from host, port, db, password',
    {
      env: { REDIS_HOST: 'cache', REDIS_PORT: '6380', REDIS_DB: '3', REDIS_PASSWORD: 'p@ss/word' },
      want: { redisUrl: 'redis://:p%40ss%2Fword@cache:6380/3' },
    },
  ],
  ['Redis host only', { env: { REDIS_HOST: 'cache' }, want: { redisUrl: 'redis://cache:6379/0' } }],
  ['IPv6 Redis host', { env: { REDIS_HOST: '::1' }, want: { redisUrl: 'redis://[::1]:6379/0' } }],
  ['fractional TTL', { env: { CORRELATION_TTL_DAYS: '0.5' }, want: { correlationTtlDays: 0.5 } }],
  [
    'service, host, port, watch path',
    {
      env: { SERVICE_NAME: 'svc', HTTP_HOST: '127.0.0.1', HTTP_PORT: '9000', WATCH_PATH: '/tmp/w' },
      want: { serviceName: 'svc', httpHost: '127.0.0.1', httpPort: 9000, watchPath: '/tmp/w' },
    },
  ],
  ['log level, any case', { env: { BLOODBANK_LOG_LEVEL: 'DEBUG' }, want: { logLevel: 'debug' } }],
  ['auth off', { env: { BLOODBANK_AUTH: 'off' }, want: { auth: 'off' } }],
  ['body limit in bytes', { env: { BLOODBANK_BODY_LIMIT: '1048576' }, want: { bodyLimit: 1_048_576 } }],
  ['body limit with a unit', { env: { BLOODBANK_BODY_LIMIT: '512KiB' }, want: { bodyLimit: 524_288 } }],
  ['body limit in MB', { env: { BLOODBANK_BODY_LIMIT: '2mb' }, want: { bodyLimit: 2 * 1024 * 1024 } }],
  [
    'gateway and CLI settings',
    {
      env: {
        BLOODBANK_API_KEYS: 'k1=fireflies.#,k2=#',
        BLOODBANK_REGISTRY: './reg.js',
        BLOODBANK_URL: 'https://bb.example',
        BLOODBANK_API_KEY: 'k1',
      },
      want: { apiKeys: 'k1=fireflies.#,k2=#', registry: './reg.js', url: 'https://bb.example', apiKey: 'k1' },
    },
  ],
  [
    'providers',
    {
      env: {
        ANTHROPIC_API_KEY: 'a',
        ANTHROPIC_BASE_URL: 'http://localhost:9999',
        OPENAI_API_KEY: 'o',
        OPENAI_BASE_URL: 'https://api.example/v1',
        FIREFLIES_WEBHOOK_SECRET: 'f',
      },
      want: {
        anthropicApiKey: 'a',
        anthropicBaseUrl: 'http://localhost:9999',
        openaiApiKey: 'o',
        openaiBaseUrl: 'https://api.example/v1',
        firefliesWebhookSecret: 'f',
      },
    },
  ],
  [
    'bearer JWTs from a JWKS, default scope claim',
    {
      env: {
        BLOODBANK_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
        BLOODBANK_JWT_ISSUER: 'https://idp.example/',
        BLOODBANK_JWT_AUDIENCE: 'bloodbank',
      },
      want: {
        jwt: {
          jwksUrl: 'https://idp.example/.well-known/jwks.json',
          issuer: 'https://idp.example/',
          audience: 'bloodbank',
          scopeClaim: 'scope',
        },
      },
    },
  ],
  [
    'bearer JWTs with a static key and another scope claim',
    {
      env: {
        BLOODBANK_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----',
        BLOODBANK_JWT_ISSUER: 'i',
        BLOODBANK_JWT_AUDIENCE: 'a',
        BLOODBANK_JWT_SCOPE_CLAIM: 'scp',
      },
      want: {
        jwt: { publicKey: '-----BEGIN PUBLIC KEY-----', issuer: 'i', audience: 'a', scopeClaim: 'scp' },
      },
    },
  ],
  ['TLS CA file', { env: { BLOODBANK_TLS_CA: 'package.json' }, want: { tlsCa: 'package.json' } }],
  [
    'an empty variable counts as unset',
    { env: { RABBIT_URL: '', HTTP_PORT: ' ' }, want: { rabbitUrl: 'amqp://localhost:5672', httpPort: 8682 } },
  ],
];

describe('loadConfig: env → config', () => {
  it.each(cases)('%s', (_name, { env, want }) => {
    expect(loadConfig(env)).toMatchObject(want);
  });
});

const errors: Array<[string, { env: Record<string, string>; variable: string; message: string }]> = [
  [
    'JWKS without issuer',
    {
      env: { BLOODBANK_JWKS_URL: 'https://idp.example/jwks', BLOODBANK_JWT_AUDIENCE: 'a' },
      variable: 'BLOODBANK_JWT_ISSUER',
      message: 'BLOODBANK_JWT_ISSUER is required when bearer JWTs are accepted',
    },
  ],
  [
    'JWKS URL scheme',
    {
      env: { BLOODBANK_JWKS_URL: 'file:///jwks', BLOODBANK_JWT_AUDIENCE: 'a', BLOODBANK_JWT_ISSUER: 'i' },
      variable: 'BLOODBANK_JWKS_URL',
      message: 'BLOODBANK_JWKS_URL must be a URL with scheme https:// or http://',
    },
  ],
  [
    'TLS CA not a file',
    {
      env: { BLOODBANK_TLS_CA: '/nonexistent/ca.pem' },
      variable: 'BLOODBANK_TLS_CA',
      message: 'BLOODBANK_TLS_CA must be the path of a readable file',
    },
  ],
  [
    'RABBIT_URL scheme',
    {
      env: { RABBIT_URL: 'http://rabbit:5672' },
      variable: 'RABBIT_URL',
      message: 'RABBIT_URL must be a URL with scheme amqp:// or amqps:// (got "http://rabbit:5672")',
    },
  ],
  [
    'RABBIT_URL not a URL',
    {
      env: { RABBIT_URL: 'rabbit:5672' },
      variable: 'RABBIT_URL',
      message: 'RABBIT_URL must be a URL with scheme amqp:// or amqps://',
    },
  ],
  [
    'one node of a RABBIT_URL list',
    {
      env: { RABBIT_URL: 'amqp://r1:5672,http://r2:5672' },
      variable: 'RABBIT_URL[1]',
      message: 'RABBIT_URL[1] must be a URL with scheme amqp:// or amqps:// (got "http://r2:5672")',
    },
  ],
  [
    'REDIS_SENTINELS entry without a port',
    {
      env: { REDIS_SENTINELS: 's1:26379,s2' },
      variable: 'REDIS_SENTINELS[1]',
      message: 'REDIS_SENTINELS[1] must be host:port with a port between 1 and 65535 (got "s2")',
    },
  ],
  [
    'REDIS_URL scheme',
    {
      env: { REDIS_URL: 'amqp://cache' },
      variable: 'REDIS_URL',
      message: 'REDIS_URL must be a URL with scheme redis:// or rediss://',
    },
  ],
  [
    'REDIS_PORT not numeric',
    {
      env: { REDIS_PORT: 'abc' },
      variable: 'REDIS_PORT',
      message: 'REDIS_PORT must be an integer between 1 and 65535 (got "abc")',
    },
  ],
  [
    'REDIS_PORT out of range',
    {
      env: { REDIS_PORT: '70000' },
      variable: 'REDIS_PORT',
      message: 'REDIS_PORT must be an integer between 1 and 65535 (got "70000")',
    },
  ],
  [
    'REDIS_DB negative',
    { env: { REDIS_DB: '-1' }, variable: 'REDIS_DB', message: 'REDIS_DB must be an integer >= 0 (got "-1")' },
  ],
  [
    'HTTP_PORT fractional',
    {
      env: { HTTP_PORT: '80.5' },
      variable: 'HTTP_PORT',
      message: 'HTTP_PORT must be an integer between 0 and 65535',
    },
  ],
  [
    'TTL zero',
    {
      env: { CORRELATION_TTL_DAYS: '0' },
      variable: 'CORRELATION_TTL_DAYS',
      message: 'CORRELATION_TTL_DAYS must be a number > 0 (got "0")',
    },
  ],
  [
    'TTL negative',
    {
      env: { CORRELATION_TTL_DAYS: '-3' },
      variable: 'CORRELATION_TTL_DAYS',
      message: 'CORRELATION_TTL_DAYS must be a number > 0',
    },
  ],
  [
    'TTL not a number',
    {
      env: { CORRELATION_TTL_DAYS: 'thirty' },
      variable: 'CORRELATION_TTL_DAYS',
      message: 'CORRELATION_TTL_DAYS must be a number > 0',
    },
  ],
  [
    'log level',
    {
      env: { BLOODBANK_LOG_LEVEL: 'verbose' },
      variable: 'BLOODBANK_LOG_LEVEL',
      message:
        'BLOODBANK_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    },
  ],
  [
    'auth',
    {
      env: { BLOODBANK_AUTH: 'maybe' },
      variable: 'BLOODBANK_AUTH',
      message: 'BLOODBANK_AUTH must be one of on, off',
    },
  ],
  [
    'body limit',
    {
      env: { BLOODBANK_BODY_LIMIT: '16 parsecs' },
      variable: 'BLOODBANK_BODY_LIMIT',
      message: 'BLOODBANK_BODY_LIMIT must be a size > 0 in bytes',
    },
  ],
  [
    'BLOODBANK_URL scheme',
    {
      env: { BLOODBANK_URL: 'ftp://x' },
      variable: 'BLOODBANK_URL',
      message: 'BLOODBANK_URL must be a URL with scheme http:// or https://',
    },
  ],
  [
    'OPENAI_BASE_URL',
    {
      env: { OPENAI_BASE_URL: 'nope' },
      variable: 'OPENAI_BASE_URL',
      message: 'OPENAI_BASE_URL must be a URL with scheme http:// or https://',
    },
  ],
];

errors.push(
  [
    'BLOODBANK_HISTORY_MAX_AGE unit',
    {
      env: { BLOODBANK_HISTORY_MAX_AGE: '7 days' },
      variable: 'BLOODBANK_HISTORY_MAX_AGE',
      message:
        'BLOODBANK_HISTORY_MAX_AGE must be a positive integer followed by one unit of Y, M, D, h, m or s',
    },
  ],
  [
    'BLOODBANK_REQUEST_TIMEOUT_MS zero',
    {
      env: { BLOODBANK_REQUEST_TIMEOUT_MS: '0' },
      variable: 'BLOODBANK_REQUEST_TIMEOUT_MS',
      message: 'BLOODBANK_REQUEST_TIMEOUT_MS must be an integer between 1 and 3600000',
    },
  ],
);

describe('loadConfig: env → error naming the variable and the rule', () => {
  it.each(errors)('%s', (_name, { env, variable, message }) => {
    let caught: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(isConfigError(caught)).toBe(true);
    expect(isBloodbankError(caught)).toBe(true);
    const error = caught as ConfigError;
    expect(error.name).toBe('ConfigError');
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(message);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ REDIS_PORT: 'x', HTTP_PORT: 'y', CORRELATION_TTL_DAYS: '0' })).toThrow(
      /^invalid configuration: REDIS_PORT .*; CORRELATION_TTL_DAYS .*; HTTP_PORT /,
    );
  });

  it('never puts credentials in the message', () => {
    expect(() => loadConfig({ RABBIT_URL: 'http://user:hunter2@rabbit' })).toThrow(/http:\/\/\*\*\*@rabbit/);
    expect(() => loadConfig({ RABBIT_URL: 'http://user:hunter2@rabbit' })).not.toThrow(/hunter2/);
  });
});

describe('redactUrl', () => {
  it.each([
    ['amqp://guest:guest@rabbit:5672/', 'amqp://***@rabbit:5672/'],
    ['redis://:s3cret@cache:6379/0', 'redis://***@cache:6379/0'],
    ['rediss://user@cache', 'rediss://***@cache'],
    ['amqp://localhost:5672', 'amqp://localhost:5672'],
    ['not a url //user:pw@host', 'not a url //***@host'],
    ['amqp://u:p@r1:5672,amqp://u:p@r2:5672', 'amqp://***@r1:5672,amqp://***@r2:5672'],
  ])('%s → %s', (given, want) => {
    expect(redactUrl(given)).toBe(want);
  });
});

describe('createLogger', () => {
  it('takes its level from BLOODBANK_LOG_LEVEL, and redacts secrets', () => {
    const lines: string[] = [];
    const logger = createLogger({
      env: { BLOODBANK_LOG_LEVEL: 'warn' },
      destination: { write: (line: string) => void lines.push(line) },
    });
    expect(logger.level).toBe('warn');
    logger.info('dropped');
    logger.warn({ password: 'hunter2', headers: { authorization: 'Bearer x' } }, 'kept');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"msg":"kept"');
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('Bearer x');
  });

  it('rejects an invalid level with a ConfigError', () => {
    expect(() => createLogger({ env: { BLOODBANK_LOG_LEVEL: 'loud' } })).toThrow(ConfigError);
  });
});
