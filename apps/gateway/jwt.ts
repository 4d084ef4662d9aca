/**
 * OAuth2 bearer tokens (JWTs from an identity provider) at the gateway, beside API keys (auth.ts).
 *
 * A token is verified with `jose` against the provider's JWKS (`BLOODBANK_JWKS_URL`: keys cached, fetched
 * again when a token names an unknown `kid`, at most once per cooldown) or one static public key
 * (`BLOODBANK_JWT_PUBLIC_KEY`: PEM, a JWK, or a file holding either). Only asymmetric algorithms are
 * accepted (never `none`, never HS*: a shared secret would let anyone holding it mint tokens). The issuer
 * (`iss`) and audience (`aud`) must match; `exp` and `nbf` are checked with a small clock tolerance.
 *
 * The scope claim (`scope` by default, OAuth2's space-separated string, or an array as some providers
 * send) grants `publish:<routing-key pattern>` entries, matched exactly like API-key scopes; other
 * entries (`openid`, `profile`, …) are ignored.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { assertTopicPattern } from 'bloodbank/delivery/topic.js';
import type { ApiKey } from './auth.js';

/** Signature algorithms a token may use: asymmetric only. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export interface JwtOptions {
  /** The provider's JWKS endpoint (`BLOODBANK_JWKS_URL`). One of `jwksUrl` and `publicKey` is required. */
  readonly jwksUrl?: string;
  /** A static public key: PEM (SPKI or certificate), a JWK as JSON, or the path of a file holding one. */
  readonly publicKey?: string;
  /** Expected `iss` (`BLOODBANK_JWT_ISSUER`). */
  readonly issuer: string;
  /** Expected `aud` (`BLOODBANK_JWT_AUDIENCE`). */
  readonly audience: string;
  /** The claim holding the scopes (`BLOODBANK_JWT_SCOPE_CLAIM`, default `scope`). */
  readonly scopeClaim?: string;
  /** Seconds of clock skew tolerated on `exp` and `nbf` (default 30). */
  readonly clockToleranceSeconds?: number;
  /** Shortest time between two JWKS fetches caused by unknown `kid`s (default 30,000 ms). */
  readonly jwksCooldownMs?: number;
}

/** A caller identified by a verified token: `id` is `jwt:<sub>` (safe to log). */
export interface TokenPrincipal extends ApiKey {
  readonly kind: 'jwt';
  readonly subject: string;
  readonly issuer: string;
}

export function isTokenPrincipal(principal: ApiKey | null): principal is TokenPrincipal {
  return principal !== null && (principal as Partial<TokenPrincipal>).kind === 'jwt';
}

/** Why a token was refused: `status` 401 (the token) or 503 (the provider's keys could not be fetched). */
export class TokenRejectedError extends Error {
  override name = 'TokenRejectedError' as const;
  constructor(
    readonly reason: string,
    readonly status: 401 | 503 = 401,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

export function isTokenRejectedError(error: unknown): error is TokenRejectedError {
  return error instanceof TokenRejectedError;
}

export interface TokenVerifier {
  /** Resolves to the principal, or rejects with `TokenRejectedError` saying why. */
  verify(token: string): Promise<TokenPrincipal>;
}

/** `header.payload.signature`, each base64url: what a compact JWS looks like (API keys never do). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$/.test(token);
}

function staticKey(spec: string): KeyObject {
  const text =
    !spec.includes('-----BEGIN') && !spec.trim().startsWith('{') && existsSync(spec)
      ? readFileSync(spec, 'utf8')
      : spec;
  const trimmed = text.trim();
  if (trimmed.startsWith('{'))
    return createPublicKey({ key: JSON.parse(trimmed) as import('node:crypto').JsonWebKey, format: 'jwk' });
  return createPublicKey(trimmed);
}

export function createTokenVerifier(options: JwtOptions): TokenVerifier {
  if (!options.jwksUrl && !options.publicKey)
    throw new Error('JWT verification needs BLOODBANK_JWKS_URL or BLOODBANK_JWT_PUBLIC_KEY');
  const key = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), {
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        timeoutDuration: 5_000,
      })
    : staticKey(options.publicKey ?? '');
  const scopeClaim = options.scopeClaim ?? 'scope';
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms: [...JWT_ALGORITHMS],
    clockTolerance: options.clockToleranceSeconds ?? 30,
    requiredClaims: ['exp'],
  };

  return {
    async verify(token) {
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch (error) {
        throw new TokenRejectedError('malformed token: its header is not base64url JSON', 401, {
          cause: error,
        });
      }
      if (alg === undefined || alg.toLowerCase() === 'none')
        throw new TokenRejectedError('unsigned tokens (alg: none) are refused');
      let payload: JWTPayload;
      try {
        payload =
          typeof key === 'function'
            ? (await jwtVerify(token, key, verifyOptions)).payload
            : (await jwtVerify(token, key, verifyOptions)).payload;
      } catch (error) {
        throw rejection(error, alg, options);
      }
      const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : 'unknown';
      return {
        kind: 'jwt',
        id: `jwt:${subject}`,
        subject,
        issuer: options.issuer,
        scopes: publishScopes(payload[scopeClaim]),
      };
    },
  };
}

/** The routing-key patterns of the `publish:<pattern>` entries of a scope claim (others ignored). */
export function publishScopes(claim: unknown): string[] {
  const entries =
    typeof claim === 'string'
      ? claim.split(/\s+/)
      : Array.isArray(claim)
        ? claim.filter((c): c is string => typeof c === 'string')
        : [];
  const patterns: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith('publish:')) continue;
    const pattern = entry.slice('publish:'.length);
    try {
      assertTopicPattern(pattern);
      patterns.push(pattern);
    } catch {
      // A malformed entry grants nothing; the 403 lists the scopes that were understood.
    }
  }
  return patterns;
}

function rejection(error: unknown, alg: string, options: JwtOptions): TokenRejectedError {
  const code = (error as { code?: string } | null)?.code;
  const claim = (error as { claim?: string } | null)?.claim;
  const reason = ((): [string, 401 | 503] => {
    switch (code) {
      case 'ERR_JWT_EXPIRED':
        return ['the token has expired (exp)', 401];
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        if (claim === 'nbf') return ['the token is not valid yet (nbf)', 401];
        if (claim === 'iat') return ['the token was issued in the future (iat)', 401];
        if (claim === 'iss') return [`wrong issuer: expected ${options.issuer}`, 401];
        if (claim === 'aud') return [`wrong audience: expected ${options.audience}`, 401];
        if (claim === 'exp') return ['the token has no expiry (exp)', 401];
        return [`claim ${claim ?? '?'} is invalid`, 401];
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return [`algorithm ${alg} is not accepted (allowed: ${JWT_ALGORITHMS.join(', ')})`, 401];
      case 'ERR_JWKS_NO_MATCHING_KEY':
        return ['unknown signing key: no key of the JWKS matches the token (kid)', 401];
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
        return ['ambiguous signing key: several keys of the JWKS match the token', 401];
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return ['bad signature', 401];
      case 'ERR_JWS_INVALID':
      case 'ERR_JWT_INVALID':
        return ['malformed token', 401];
      case 'ERR_JWKS_TIMEOUT':
      case 'ERR_JWKS_INVALID':
        return ["the identity provider's keys (JWKS) cannot be fetched now", 503];
      case 'ERR_JOSE_NOT_SUPPORTED':
        return [`algorithm ${alg} or its key is not supported`, 401];
      default:
        return code === undefined && options.jwksUrl
          ? ["the identity provider's keys (JWKS) cannot be fetched now", 503]
          : ['the token cannot be verified', 401];
    }
  })();
  return new TokenRejectedError(reason[0], reason[1], { cause: error });
}
