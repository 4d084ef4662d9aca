/**
 * What a request may present: an API key (auth.ts) or, when an identity provider is configured, a JWT
 * (jwt.ts). `authenticate()` answers the principal or a 401 saying why (503 when the provider's keys cannot
 * be fetched); `allows()` says whether a principal may publish a routing key — the same topic matching for
 * both kinds of scopes.
 */
import { topicMatches } from 'bloodbank/delivery/topic.js';
import type { ApiKey, KeyStore } from './auth.js';
import { HttpError } from './http-error.js';
import { isTokenPrincipal, isTokenRejectedError, looksLikeJwt, type TokenVerifier } from './jwt.js';

export interface Credentials {
  /** Whether any credential is configured (keys or a token verifier): the gateway then requires one. */
  readonly configured: boolean;
  /** The principal, a Promise of it (a JWT is verified asynchronously), or throws/rejects an HttpError. */
  authenticate(presented: string | undefined): ApiKey | Promise<ApiKey>;
  allows(principal: ApiKey, routingKey: string): boolean;
}

export function createCredentials(keys: KeyStore, tokens: TokenVerifier | null): Credentials {
  const what = tokens ? 'an API key or a bearer token' : 'an API key';
  return {
    configured: keys.size > 0 || tokens !== null,
    authenticate(presented) {
      if (presented === undefined)
        throw new HttpError(
          401,
          'unauthorized',
          `${what} is required: send Authorization: Bearer <${tokens ? 'key or token' : 'key'}> or X-API-Key: <key>`,
          { headers: { 'www-authenticate': 'Bearer' } },
        );
      const key = keys.lookup(presented);
      if (key) return key;
      if (tokens && looksLikeJwt(presented))
        return tokens.verify(presented).catch((error: unknown) => {
          if (!isTokenRejectedError(error)) throw error;
          throw error.status === 503
            ? new HttpError(503, 'identity_provider_unavailable', error.reason, {
                headers: { 'retry-after': '5' },
                details: { retry_after: 5 },
                cause: error,
              })
            : new HttpError(401, 'invalid_token', `bearer token refused: ${error.reason}`, {
                headers: { 'www-authenticate': `Bearer error="invalid_token"` },
                cause: error,
              });
        });
      throw new HttpError(401, 'unauthorized', 'unknown API key', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    },
    allows(principal, routingKey) {
      return isTokenPrincipal(principal)
        ? principal.scopes.some((p) => topicMatches(p, routingKey))
        : keys.allows(principal, routingKey);
    },
  };
}
