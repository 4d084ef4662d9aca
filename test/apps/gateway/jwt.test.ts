/**
 * Bearer JWTs at the gateway (issue 18): tokens signed in the test, keys served by a JWKS server on
 * loopback. Every malformed token is a 401 with its reason; a valid one out of scope is a 403 naming the
 * event type; API keys keep working beside tokens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyStore } from '../../../apps/gateway/auth.js';
import { createTokenVerifier, publishScopes, type TokenVerifier } from '../../../apps/gateway/jwt.js';
import { example, startGateway, type TestGateway } from './helpers.js';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'bloodbank-gateway';
const API_KEY = 'jwt-test-api-key-0123456789';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

interface JwksServer {
  readonly url: string;
  /** Keys the server publishes (mutable: rotation). */
  keys: JWK[];
  fetches: number;
  close(): Promise<void>;
}

async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const state = { keys, fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get keys() {
      return state.keys;
    },
    set keys(k) {
      state.keys = k;
    },
    get fetches() {
      return state.fetches;
    },
    set fetches(n) {
      state.fetches = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function publicJwk(pair: KeyPair, kid: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
}

const now = () => Math.floor(Date.now() / 1000);

function sign(
  pair: KeyPair,
  kid: string,
  claims: JWTPayload,
  options: { iss?: string; aud?: string; exp?: number; nbf?: number } = {},
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid })
    .setSubject('svc-fireflies')
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 300);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(pair.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let signing: KeyPair;
let other: KeyPair;
let jwks: JwksServer;

beforeAll(async () => {
  signing = await generateKeyPair('RS256');
  other = await generateKeyPair('RS256');
  jwks = await startJwksServer([await publicJwk(signing, 'k1')]);
});
afterAll(async () => jwks?.close());

describe('publishScopes', () => {
  it.each([
    ['space-separated string', 'openid publish:llm.* publish:fireflies.#', ['llm.*', 'fireflies.#']],
    ['array', ['publish:llm.prompt', 'read:x'], ['llm.prompt']],
    ['malformed patterns grant nothing', 'publish:llm..x publish: publish:a.b', ['a.b']],
    ['missing claim', undefined, []],
    ['not a string', 42, []],
  ])('%s', (_name, claim, want) => {
    expect(publishScopes(claim)).toEqual(want);
  });
});

describe('the token verifier', () => {
  it('caches the JWKS, fetches it again for an unknown kid (key rotation)', async () => {
    const server = await startJwksServer([await publicJwk(signing, 'r1')]);
    try {
      const verifier = createTokenVerifier({
        jwksUrl: server.url,
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksCooldownMs: 0,
      });
      const first = await verifier.verify(await sign(signing, 'r1', { scope: 'publish:llm.*' }));
      expect(first).toMatchObject({ id: 'jwt:svc-fireflies', scopes: ['llm.*'] });
      await verifier.verify(await sign(signing, 'r1', { scope: 'publish:llm.*' }));
      expect(server.fetches).toBe(1);
      server.keys = [...server.keys, await publicJwk(other, 'r2')];
      await expect(verifier.verify(await sign(other, 'r2', { scope: 'publish:#' }))).resolves.toMatchObject({
        scopes: ['#'],
      });
      expect(server.fetches).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('does not fetch the JWKS again for unknown kids within the cooldown (rate limit)', async () => {
    const server = await startJwksServer([await publicJwk(signing, 'c1')]);
    try {
      const verifier = createTokenVerifier({
        jwksUrl: server.url,
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksCooldownMs: 60_000,
      });
      await verifier.verify(await sign(signing, 'c1', {}));
      for (let i = 0; i < 5; i += 1)
        await expect(verifier.verify(await sign(other, `unknown-${i}`, {}))).rejects.toThrow(
          /unknown signing key/,
        );
      expect(server.fetches).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('verifies against a static public key (PEM)', async () => {
    const verifier: TokenVerifier = createTokenVerifier({
      publicKey: await exportSPKI(signing.publicKey),
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    await expect(
      verifier.verify(await sign(signing, 'any', { scope: 'publish:a.b' })),
    ).resolves.toMatchObject({ scopes: ['a.b'] });
    await expect(verifier.verify(await sign(other, 'any', {}))).rejects.toThrow(/bad signature/);
  });

  it('answers 503-worthy when the JWKS cannot be fetched', async () => {
    const server = await startJwksServer([]);
    const url = server.url;
    await server.close();
    const verifier = createTokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE });
    await expect(verifier.verify(await sign(signing, 'k1', {}))).rejects.toMatchObject({ status: 503 });
  });
});

describe('a gateway accepting bearer JWTs beside API keys', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({
      apiKeys: createKeyStore([[API_KEY, ['github.#']]]),
      jwt: { jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE, scopeClaim: 'scope' },
    });
  });
  afterAll(async () => t?.close());

  const post = (path: string, body: unknown, token: string) =>
    fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const prompt = (token: string) => post('/events/llm/prompt', example('llm.prompt'), token);

  it('accepts a token with the right scope, 403 naming the event type outside it', async () => {
    const token = await sign(signing, 'k1', { scope: 'openid publish:llm.* publish:fireflies.#' });
    expect((await prompt(token)).status).toBe(202);
    const outside = await post('/events/github/pr/created', example('github.pr.created'), token);
    expect(outside.status).toBe(403);
    const body = (await outside.json()) as { message: string };
    expect(body).toMatchObject({ error: 'forbidden', event_type: 'github.pr.created' });
    expect(body.message).toMatch(/svc-fireflies may not publish github\.pr\.created/);
    expect((await t.drain(2, 400)).length).toBe(1);
  });

  it('keeps API keys working unchanged', async () => {
    expect((await post('/events/github/pr/created', example('github.pr.created'), API_KEY)).status).toBe(202);
    expect((await prompt(API_KEY)).status).toBe(403);
    expect((await prompt('not-a-key')).status).toBe(401);
    expect((await t.drain(2, 400)).length).toBe(1);
  });

  const refusals: Array<[string, () => Promise<string>, RegExp]> = [
    ['expired', () => sign(signing, 'k1', {}, { exp: now() - 3600 }), /expired/],
    ['not yet valid', () => sign(signing, 'k1', {}, { nbf: now() + 3600 }), /not valid yet/],
    ['wrong issuer', () => sign(signing, 'k1', {}, { iss: 'https://evil.test/' }), /wrong issuer/],
    ['wrong audience', () => sign(signing, 'k1', {}, { aud: 'someone-else' }), /wrong audience/],
    ['unknown key', () => sign(other, 'k-unknown', {}), /unknown signing key/],
    ['bad signature', () => sign(other, 'k1', {}), /bad signature/],
    [
      'alg: none',
      async () =>
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: now() + 60, scope: 'publish:#' })}.`,
      /alg: none/,
    ],
    [
      'HS256 (a shared secret)',
      () =>
        new SignJWT({ scope: 'publish:#' })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime(now() + 60)
          .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!')),
      /algorithm HS256 is not accepted/,
    ],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await sign(signing, 'k1', { scope: 'publish:llm.*' })).split('.');
        return `${h}.${b64({ iss: ISSUER, aud: AUDIENCE, exp: now() + 60, scope: 'publish:#' })}.${s}`;
      },
      /bad signature/,
    ],
  ];

  it.each(refusals)('refuses a token that is %s with 401 and the reason', async (_name, make, reason) => {
    const res = await prompt(await make());
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/invalid_token/);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('invalid_token');
    expect(body.message).toMatch(reason);
  });

  it('published nothing for the refused tokens', async () => {
    expect(await t.drain(1, 300)).toEqual([]);
  });
});
