/**
 * Configuration: the one module that reads the environment. Names follow the original Bloodbank
 * (`RABBIT_URL`, `EXCHANGE_NAME`, `REDIS_*`, `CORRELATION_TTL_DAYS`, `SERVICE_NAME`, `HTTP_*`,
 * `WATCH_PATH`); new settings carry the `BLOODBANK_` prefix; the providers keep their own names.
 *
 * `loadConfig()` validates everything at once and throws a `ConfigError` naming every variable that
 * failed and its rule. An empty variable (`REDIS_URL=`) counts as unset. URLs may hold credentials:
 * log them only through `redactUrl()`.
 */
import { accessSync, constants } from 'node:fs';
import { ConfigError, type ConfigIssue } from './errors/config-error.js';

export { ConfigError, isConfigError, type ConfigIssue } from './errors/config-error.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface BloodbankConfig {
  /**
   * `RABBIT_URLS`, else `RABBIT_URL`: amqp:// or amqps://; several nodes of one cluster comma-separated
   * (`createConnection` fails over between them). Pass it as is wherever a connection URL is taken.
   */
  readonly rabbitUrl: string;
  /** The same, one URL per node, in the order given. */
  readonly rabbitUrls: readonly string[];
  /**
   * `EXCHANGE_NAME`: the topic exchange events go through. Set, it carries every event; unset, an event
   * goes through the exchange its channel's AMQP binding names, else this default (amqp/topology.ts).
   */
  readonly exchangeName: string;
  /** True when `EXCHANGE_NAME` was set (then it overrides the exchanges channel bindings name). */
  readonly exchangeNameSet: boolean;
  /** `REDIS_URL`, else built from `REDIS_HOST` / `REDIS_PORT` / `REDIS_DB` / `REDIS_PASSWORD`. */
  readonly redisUrl: string;
  /** `REDIS_SENTINELS` (`host:port,…`): ask these Sentinels for the master; unset: `redisUrl` is the server. */
  readonly redisSentinels: readonly RedisSentinelAddress[] | undefined;
  /** `REDIS_SENTINEL_NAME`: the master's name in the Sentinels' configuration. */
  readonly redisSentinelName: string;
  /** `CORRELATION_TTL_DAYS`: lifetime of correlation links in Redis (may be fractional, > 0). */
  readonly correlationTtlDays: number;
  /** `SERVICE_NAME`. */
  readonly serviceName: string;
  /** `HTTP_HOST` / `HTTP_PORT`: where the gateway listens. */
  readonly httpHost: string;
  /** `HTTP_HOST` as set, or undefined when unset (the gateway then picks loopback when it has no keys). */
  readonly httpHostSet: string | undefined;
  readonly httpPort: number;
  /** `WATCH_PATH`: what `bb watch` watches by default. */
  readonly watchPath: string;
  /** `BLOODBANK_LOG_LEVEL`. */
  readonly logLevel: LogLevel;
  /** `BLOODBANK_API_KEYS`: the gateway's key spec (`key1=fireflies.#|llm.*,key2=#`) or a keys file path; parsed by the gateway. */
  readonly apiKeys: string | undefined;
  /** `BLOODBANK_AUTH`: `off` lets the gateway serve without keys on a non-loopback address. */
  readonly auth: 'on' | 'off';
  /** `BLOODBANK_BODY_LIMIT`: largest request body the gateway accepts, in bytes. */
  readonly bodyLimit: number;
  /** `BLOODBANK_RATE_LIMIT`: gateway requests per minute per API key (0 disables). */
  readonly rateLimit: number;
  /** `BLOODBANK_CORS_ORIGINS`: `*` or a comma-separated list of origins; unset: no CORS. */
  readonly corsOrigins: string | undefined;
  /** `BLOODBANK_MANAGEMENT_URL`: RabbitMQ management API (`bb dlq list`); unset: derived from `RABBIT_URL`. */
  readonly managementUrl: string | undefined;
  /** `BLOODBANK_REGISTRY`: module that exports the event registry (`bb --registry`). */
  readonly registry: string | undefined;
  /** `BLOODBANK_URL`: the gateway `bb --via http` talks to. */
  readonly url: string;
  /** `BLOODBANK_API_KEY`: the key `bb --via http` sends. */
  readonly apiKey: string | undefined;
  readonly anthropicApiKey: string | undefined;
  readonly anthropicBaseUrl: string | undefined;
  readonly openaiApiKey: string | undefined;
  readonly openaiBaseUrl: string | undefined;
  readonly firefliesWebhookSecret: string | undefined;
  /** `BLOODBANK_HISTORY`: `off` keeps the gateway, `bb serve commands` and `bb setup` from declaring the history stream. */
  readonly history: 'on' | 'off';
  /** `BLOODBANK_HISTORY_MAX_AGE`: retention of the history stream (`x-max-age`: 7D, 12h, 30m, 90s…). */
  readonly historyMaxAge: string;
  /** `BLOODBANK_HISTORY_MAX_BYTES`: size cap of the history stream (`x-max-length-bytes`). */
  readonly historyMaxBytes: number;
  /** `BLOODBANK_REQUEST_TIMEOUT_MS`: the gateway's request (headers and body) and keep-alive timeout. */
  readonly requestTimeoutMs: number;
  /** `BLOODBANK_MAX_CONNECTIONS`: open sockets the gateway accepts at once (0: no cap). */
  readonly maxConnections: number;
  /** Bearer JWTs at the gateway: set when `BLOODBANK_JWKS_URL` or `BLOODBANK_JWT_PUBLIC_KEY` is. */
  readonly jwt: JwtConfig | undefined;
  /** `BLOODBANK_BROKER_PASSWORDS`: file of `service=password` lines for `bb broker definitions`. */
  readonly brokerPasswords: string | undefined;
  /** `BLOODBANK_TLS_CA`: PEM file of the CA(s) trusted for amqps:// and rediss:// (beside the system's). */
  readonly tlsCa: string | undefined;
}

export interface JwtConfig {
  /** `BLOODBANK_JWKS_URL`. */
  readonly jwksUrl?: string;
  /** `BLOODBANK_JWT_PUBLIC_KEY`: PEM, JWK JSON, or a file holding one. */
  readonly publicKey?: string;
  /** `BLOODBANK_JWT_ISSUER` (required with a key source). */
  readonly issuer: string;
  /** `BLOODBANK_JWT_AUDIENCE` (required with a key source). */
  readonly audience: string;
  /** `BLOODBANK_JWT_SCOPE_CLAIM` (default `scope`). */
  readonly scopeClaim: string;
}

export interface RedisSentinelAddress {
  readonly host: string;
  readonly port: number;
}

export interface ConfigVariable {
  readonly name: string;
  /** The default as written in the environment, or `null` when unset means "not configured". */
  readonly default: string | null;
  readonly description: string;
}

const MIB = 1024 * 1024;

/** Every variable Bloodbank reads, in the order the README and `bb config` print them. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  {
    name: 'RABBIT_URL',
    default: 'amqp://localhost:5672',
    description: 'RabbitMQ URL (amqp:// or amqps://); a cluster: one URL per node, comma-separated',
  },
  {
    name: 'RABBIT_URLS',
    default: null,
    description: 'The nodes of a RabbitMQ cluster, comma-separated URLs; wins over RABBIT_URL',
  },
  {
    name: 'EXCHANGE_NAME',
    default: 'bloodbank.events.v1',
    description:
      'Topic exchange for every event (unset: the exchange a channel binding names, else this default)',
  },
  {
    name: 'REDIS_URL',
    default: 'redis://localhost:6379/0',
    description: 'Redis URL (redis:// or rediss://); wins over REDIS_HOST/PORT/DB/PASSWORD',
  },
  { name: 'REDIS_HOST', default: 'localhost', description: 'Redis host, when REDIS_URL is unset' },
  { name: 'REDIS_PORT', default: '6379', description: 'Redis port, when REDIS_URL is unset' },
  { name: 'REDIS_DB', default: '0', description: 'Redis database number, when REDIS_URL is unset' },
  { name: 'REDIS_PASSWORD', default: null, description: 'Redis password, when REDIS_URL is unset' },
  {
    name: 'REDIS_SENTINELS',
    default: null,
    description:
      'Redis Sentinels (`host:port,…`) to ask for the master; the password, db and TLS still come from REDIS_URL',
  },
  { name: 'REDIS_SENTINEL_NAME', default: 'mymaster', description: 'Master name the Sentinels monitor' },
  {
    name: 'CORRELATION_TTL_DAYS',
    default: '30',
    description: 'Lifetime of correlation links in Redis, in days',
  },
  { name: 'SERVICE_NAME', default: 'bloodbank', description: 'Name of this service (health, logs)' },
  { name: 'HTTP_HOST', default: '0.0.0.0', description: 'Address the HTTP gateway listens on' },
  { name: 'HTTP_PORT', default: '8682', description: 'Port the HTTP gateway listens on' },
  { name: 'WATCH_PATH', default: '.wx', description: 'Directory `bb watch` watches by default' },
  {
    name: 'BLOODBANK_LOG_LEVEL',
    default: 'info',
    description: `Log level (${LOG_LEVELS.join(', ')})`,
  },
  {
    name: 'BLOODBANK_API_KEYS',
    default: null,
    description: 'Gateway API keys with their scopes (`key1=fireflies.#|llm.*,key2=#`) or a keys file',
  },
  {
    name: 'BLOODBANK_AUTH',
    default: 'on',
    description: '`off` lets the gateway run without API keys on a non-loopback address',
  },
  {
    name: 'BLOODBANK_BODY_LIMIT',
    default: '16MiB',
    description: 'Largest gateway request body (bytes, or with a unit: 512KiB, 16MiB)',
  },
  {
    name: 'BLOODBANK_RATE_LIMIT',
    default: '6000',
    description: 'Gateway requests per minute per API key (0 disables)',
  },
  {
    name: 'BLOODBANK_CORS_ORIGINS',
    default: null,
    description: 'Origins the gateway allows for CORS: `*` or a comma-separated list (unset: none)',
  },
  {
    name: 'BLOODBANK_MANAGEMENT_URL',
    default: null,
    description:
      'RabbitMQ management API for `bb dlq list` (unset: http://<RABBIT_URL host>:15672, its credentials)',
  },
  { name: 'BLOODBANK_REGISTRY', default: null, description: 'Module exporting the event registry for `bb`' },
  {
    name: 'BLOODBANK_DEBUG',
    default: null,
    description: 'Any value: `bb` prints the stack trace of an unexpected error',
  },
  { name: 'BLOODBANK_URL', default: 'http://localhost:8682', description: 'Gateway URL for `bb --via http`' },
  { name: 'BLOODBANK_API_KEY', default: null, description: 'API key `bb --via http` sends' },
  { name: 'ANTHROPIC_API_KEY', default: null, description: 'Anthropic API key (LLM prompt handler)' },
  { name: 'ANTHROPIC_BASE_URL', default: null, description: 'Anthropic API base URL override' },
  { name: 'OPENAI_API_KEY', default: null, description: 'OpenAI API key (LLM prompt handler)' },
  { name: 'OPENAI_BASE_URL', default: null, description: 'OpenAI-compatible API base URL override' },
  { name: 'FIREFLIES_WEBHOOK_SECRET', default: null, description: 'Secret that signs Fireflies webhooks' },
  {
    name: 'BLOODBANK_JWKS_URL',
    default: null,
    description: "Identity provider's JWKS URL: the gateway accepts bearer JWTs signed by its keys",
  },
  {
    name: 'BLOODBANK_JWT_PUBLIC_KEY',
    default: null,
    description: 'A static public key (PEM, JWK JSON, or a file) for bearer JWTs, instead of a JWKS URL',
  },
  { name: 'BLOODBANK_JWT_ISSUER', default: null, description: 'Required `iss` of bearer JWTs' },
  { name: 'BLOODBANK_JWT_AUDIENCE', default: null, description: 'Required `aud` of bearer JWTs' },
  {
    name: 'BLOODBANK_JWT_SCOPE_CLAIM',
    default: 'scope',
    description: 'JWT claim whose `publish:<pattern>` entries grant publishing (space-separated or array)',
  },
  {
    name: 'BLOODBANK_BROKER_PASSWORDS',
    default: null,
    description: 'File of `service=password` lines for `bb broker definitions` (keep out of the repository)',
  },
  {
    name: 'BLOODBANK_TLS_CA',
    default: null,
    description: 'PEM file of CA certificates trusted for amqps:// and rediss:// (beside the system ones)',
  },
  {
    name: 'BLOODBANK_HISTORY',
    default: 'on',
    description: '`off`: the gateway, `bb serve commands` and `bb setup` do not declare the history stream',
  },
  {
    name: 'BLOODBANK_HISTORY_MAX_AGE',
    default: '7D',
    description: 'Retention of the history stream `${EXCHANGE_NAME}.history` (Y, M, D, h, m, s: 7D, 12h)',
  },
  {
    name: 'BLOODBANK_HISTORY_MAX_BYTES',
    default: '5GiB',
    description: 'Size cap of the history stream (bytes, or with a unit: 512MiB, 5GiB)',
  },
  {
    name: 'BLOODBANK_REQUEST_TIMEOUT_MS',
    default: '30000',
    description: 'Gateway: longest time to receive a request (headers and body) and keep-alive idle time',
  },
  {
    name: 'BLOODBANK_MAX_CONNECTIONS',
    default: '10000',
    description: 'Gateway: open connections accepted at once (0: no cap)',
  },
];

function defaultOf(name: string): string {
  const value = CONFIG_VARIABLES.find((v) => v.name === name)?.default;
  if (value == null) throw new Error(`config: ${name} has no default`);
  return value;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration. Throws `ConfigError` listing every invalid variable. */
export function loadConfig(env: Env = process.env): BloodbankConfig {
  const r = new Reader(env);
  const rabbitUrls = r.urlList('RABBIT_URLS', ['amqp', 'amqps']) ??
    r.urlList('RABBIT_URL', ['amqp', 'amqps']) ?? [defaultOf('RABBIT_URL')];
  const config: BloodbankConfig = {
    rabbitUrl: rabbitUrls.join(','),
    rabbitUrls,
    exchangeName: r.string('EXCHANGE_NAME') ?? defaultOf('EXCHANGE_NAME'),
    exchangeNameSet: r.string('EXCHANGE_NAME') !== undefined,
    redisUrl: redisUrl(r),
    redisSentinels: r.hostPorts('REDIS_SENTINELS'),
    redisSentinelName: r.string('REDIS_SENTINEL_NAME') ?? defaultOf('REDIS_SENTINEL_NAME'),
    correlationTtlDays: r.positiveNumber('CORRELATION_TTL_DAYS') ?? Number(defaultOf('CORRELATION_TTL_DAYS')),
    serviceName: r.string('SERVICE_NAME') ?? defaultOf('SERVICE_NAME'),
    httpHost: r.string('HTTP_HOST') ?? defaultOf('HTTP_HOST'),
    httpHostSet: r.string('HTTP_HOST'),
    httpPort: r.integer('HTTP_PORT', 0, 65535) ?? Number(defaultOf('HTTP_PORT')),
    watchPath: r.string('WATCH_PATH') ?? defaultOf('WATCH_PATH'),
    logLevel: r.oneOf('BLOODBANK_LOG_LEVEL', LOG_LEVELS) ?? 'info',
    apiKeys: r.string('BLOODBANK_API_KEYS'),
    auth: r.oneOf('BLOODBANK_AUTH', ['on', 'off'] as const) ?? 'on',
    bodyLimit: r.bytes('BLOODBANK_BODY_LIMIT') ?? 16 * MIB,
    rateLimit: r.integer('BLOODBANK_RATE_LIMIT', 0, Number.MAX_SAFE_INTEGER) ?? 6000,
    corsOrigins: r.string('BLOODBANK_CORS_ORIGINS'),
    managementUrl: r.url('BLOODBANK_MANAGEMENT_URL', ['http', 'https']),
    registry: r.string('BLOODBANK_REGISTRY'),
    url: r.url('BLOODBANK_URL', ['http', 'https']) ?? defaultOf('BLOODBANK_URL'),
    apiKey: r.string('BLOODBANK_API_KEY'),
    anthropicApiKey: r.string('ANTHROPIC_API_KEY'),
    anthropicBaseUrl: r.url('ANTHROPIC_BASE_URL', ['http', 'https']),
    openaiApiKey: r.string('OPENAI_API_KEY'),
    openaiBaseUrl: r.url('OPENAI_BASE_URL', ['http', 'https']),
    firefliesWebhookSecret: r.string('FIREFLIES_WEBHOOK_SECRET'),
    jwt: jwtConfig(r),
    tlsCa: r.file('BLOODBANK_TLS_CA'),
    brokerPasswords: r.string('BLOODBANK_BROKER_PASSWORDS'),
    history: r.oneOf('BLOODBANK_HISTORY', ['on', 'off'] as const) ?? 'on',
    historyMaxAge: r.streamAge('BLOODBANK_HISTORY_MAX_AGE') ?? defaultOf('BLOODBANK_HISTORY_MAX_AGE'),
    historyMaxBytes: r.bytes('BLOODBANK_HISTORY_MAX_BYTES') ?? 5 * 1024 * MIB,
    requestTimeoutMs:
      r.integer('BLOODBANK_REQUEST_TIMEOUT_MS', 1, 3_600_000) ??
      Number(defaultOf('BLOODBANK_REQUEST_TIMEOUT_MS')),
    maxConnections:
      r.integer('BLOODBANK_MAX_CONNECTIONS', 0, Number.MAX_SAFE_INTEGER) ??
      Number(defaultOf('BLOODBANK_MAX_CONNECTIONS')),
  };
  const [first, ...rest] = r.issues;
  if (first) throw new ConfigError([first, ...rest]);
  return config;
}

/** `BLOODBANK_LOG_LEVEL` alone, for loggers created before (or without) the full configuration. */
export function logLevelFromEnv(env: Env = process.env): LogLevel {
  const r = new Reader(env);
  const level = r.oneOf('BLOODBANK_LOG_LEVEL', LOG_LEVELS);
  const [first, ...rest] = r.issues;
  if (first) throw new ConfigError([first, ...rest]);
  return level ?? 'info';
}

function jwtConfig(r: Reader): JwtConfig | undefined {
  const jwksUrl = r.url('BLOODBANK_JWKS_URL', ['https', 'http']);
  const publicKey = r.string('BLOODBANK_JWT_PUBLIC_KEY');
  const issuer = r.string('BLOODBANK_JWT_ISSUER');
  const audience = r.string('BLOODBANK_JWT_AUDIENCE');
  const scopeClaim = r.string('BLOODBANK_JWT_SCOPE_CLAIM') ?? defaultOf('BLOODBANK_JWT_SCOPE_CLAIM');
  if (jwksUrl === undefined && publicKey === undefined) return undefined;
  if (jwksUrl !== undefined && publicKey !== undefined)
    r.issues.push({
      variable: 'BLOODBANK_JWT_PUBLIC_KEY',
      rule: 'set either BLOODBANK_JWKS_URL or BLOODBANK_JWT_PUBLIC_KEY, not both',
      value: '(set)',
    });
  for (const [name, value] of [
    ['BLOODBANK_JWT_ISSUER', issuer],
    ['BLOODBANK_JWT_AUDIENCE', audience],
  ] as const)
    if (value === undefined)
      r.issues.push({ variable: name, rule: 'is required when bearer JWTs are accepted', value: '' });
  return {
    ...(jwksUrl === undefined ? {} : { jwksUrl }),
    ...(publicKey === undefined ? {} : { publicKey }),
    issuer: issuer ?? '',
    audience: audience ?? '',
    scopeClaim,
  };
}

/** `BLOODBANK_TLS_CA` alone, for connections opened without the full configuration (runtime/tls.ts). */
export function tlsCaFromEnv(env: Env = process.env): string | undefined {
  const r = new Reader(env);
  const ca = r.file('BLOODBANK_TLS_CA');
  const [first, ...rest] = r.issues;
  if (first) throw new ConfigError([first, ...rest]);
  return ca;
}

/** `BLOODBANK_DEBUG` alone: read where an error is reported, when the configuration may be what failed. */
export function debugFromEnv(env: Env = process.env): boolean {
  return new Reader(env).string('BLOODBANK_DEBUG') !== undefined;
}

/** `BLOODBANK_REGISTRY` alone: which registry module an app loads, before (or without) the rest. */
export function registryFromEnv(env: Env = process.env): string | undefined {
  return new Reader(env).string('BLOODBANK_REGISTRY');
}

function redisUrl(r: Reader): string {
  const url = r.url('REDIS_URL', ['redis', 'rediss']);
  const host = r.string('REDIS_HOST');
  const port = r.integer('REDIS_PORT', 1, 65535);
  const db = r.integer('REDIS_DB', 0, Number.MAX_SAFE_INTEGER);
  const password = r.string('REDIS_PASSWORD');
  if (url !== undefined) return url;
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  const h = host ?? defaultOf('REDIS_HOST');
  const hostPart = h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
  return `redis://${auth}${hostPart}:${port ?? defaultOf('REDIS_PORT')}/${db ?? defaultOf('REDIS_DB')}`;
}

/** Collects issues instead of throwing, so one error names every bad variable. */
class Reader {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  /** The path of a readable file. */
  file(name: string): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    try {
      accessSync(value, constants.R_OK);
    } catch {
      this.issues.push({ variable: name, rule: 'must be the path of a readable file', value });
      return undefined;
    }
    return value;
  }

  url(
    name: string,
    schemes: readonly string[],
    given: string | undefined = this.string(name),
    label = name,
  ): string | undefined {
    const value = given;
    if (value === undefined) return undefined;
    const rule = `must be a URL with scheme ${schemes.map((s) => `${s}://`).join(' or ')}`;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.issues.push({ variable: label, rule, value: redactUrl(value) });
      return undefined;
    }
    if (!schemes.includes(parsed.protocol.replace(/:$/, '')) || parsed.hostname === '') {
      this.issues.push({ variable: label, rule, value: redactUrl(value) });
      return undefined;
    }
    return value;
  }

  /** Comma-separated URLs, each checked like `url()`; the issue names the entry (`RABBIT_URL[1]`). */
  urlList(name: string, schemes: readonly string[]): string[] | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parts = splitUrlList(value);
    const urls: string[] = [];
    parts.forEach((part, i) => {
      const checked = this.url(name, schemes, part, parts.length > 1 ? `${name}[${i}]` : name);
      if (checked !== undefined) urls.push(checked);
    });
    if (parts.length === 0)
      this.issues.push({ variable: name, rule: 'must list at least one URL', value: redactUrl(value) });
    return urls.length === parts.length && urls.length > 0 ? urls : undefined;
  }

  /** `host:port,host:port` (IPv6 hosts in brackets). */
  hostPorts(name: string): RedisSentinelAddress[] | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const out: RedisSentinelAddress[] = [];
    const parts = value
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    for (const [i, part] of parts.entries()) {
      const m = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(part);
      const port = m ? Number(m[2]) : NaN;
      if (!m || !(port >= 1 && port <= 65535)) {
        this.issues.push({
          variable: parts.length > 1 ? `${name}[${i}]` : name,
          rule: 'must be host:port with a port between 1 and 65535',
          value: part,
        });
        continue;
      }
      out.push({ host: (m[1] as string).replace(/^\[|\]$/g, ''), port });
    }
    if (parts.length === 0)
      this.issues.push({ variable: name, rule: 'must list at least one host:port', value });
    return out.length === parts.length && out.length > 0 ? out : undefined;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const rule =
        max === Number.MAX_SAFE_INTEGER
          ? `must be an integer >= ${min}`
          : `must be an integer between ${min} and ${max}`;
      this.issues.push({ variable: name, rule, value });
      return undefined;
    }
    return n;
  }

  positiveNumber(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(n) || n <= 0) {
      this.issues.push({ variable: name, rule: 'must be a number > 0', value });
      return undefined;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.string(name)?.trim().toLowerCase();
    if (value === undefined) return undefined;
    const found = allowed.find((a) => a === value);
    if (found === undefined)
      this.issues.push({
        variable: name,
        rule: `must be one of ${allowed.join(', ')}`,
        value: this.env[name] ?? '',
      });
    return found;
  }

  /** A stream retention as RabbitMQ's `x-max-age` takes it: a positive integer and one unit of Y M D h m s. */
  streamAge(name: string): string | undefined {
    const value = this.string(name)?.trim();
    if (value === undefined) return undefined;
    if (!/^[1-9]\d*[YMDhms]$/.test(value)) {
      this.issues.push({
        variable: name,
        rule: 'must be a positive integer followed by one unit of Y, M, D, h, m or s (7D, 12h, 90s)',
        value,
      });
      return undefined;
    }
    return value;
  }

  bytes(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(value);
    const unit = (m?.[2] ?? 'b').toLowerCase();
    const factor = unit.startsWith('k')
      ? 1024
      : unit.startsWith('m')
        ? MIB
        : unit.startsWith('g')
          ? 1024 * MIB
          : 1;
    const n = m?.[1] === undefined ? NaN : Math.floor(Number(m[1]) * factor);
    if (!Number.isSafeInteger(n) || n <= 0) {
      this.issues.push({
        variable: name,
        rule: 'must be a size > 0 in bytes, optionally with a unit (KiB, MiB, GiB)',
        value,
      });
      return undefined;
    }
    return n;
  }
}

/**
 * The URL with its credentials replaced by `***` (`amqp://***@rabbit:5672/`), for logs and errors.
 * A string that does not parse as a URL loses anything between `//` and `@` all the same.
 */
export function redactUrl(url: string): string {
  const list = splitUrlList(url);
  if (list.length > 1) return list.map(redactUrl).join(',');
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;
    return url.replace(userinfo, '$1***@');
  } catch {
    return url.replace(/\/\/[^/?#]*@/, '//***@');
  }
}

/**
 * A comma-separated list of node URLs (`RABBIT_URL=amqp://a:5672,amqp://b:5672`), trimmed, empty
 * entries dropped. A URL holding a comma elsewhere (in a password: percent-encode it as %2C) splits
 * only where the next part starts with a scheme.
 */
export function splitUrlList(value: string): string[] {
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const part = raw.trim();
    const last = out.length - 1;
    if (last >= 0 && part !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(part)) out[last] += `,${raw}`;
    else if (part !== '') out.push(part);
  }
  return out;
}
