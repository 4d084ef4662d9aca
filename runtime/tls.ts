/**
 * TLS for `amqps://` and `rediss://`: certificates are always verified (Node's default); a private CA
 * named by `BLOODBANK_TLS_CA` is trusted beside the system's roots. A certificate that cannot be verified
 * fails with a message naming the host and the setting that fixes it.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { tlsCaFromEnv } from './config.js';

const loaded = new Map<string, readonly string[]>();

/**
 * `tls.connect` options trusting the system's roots plus the certificates of `caFile` (default:
 * `BLOODBANK_TLS_CA`); empty without a file, so Node's defaults apply. Files are read once.
 */
export function trustedCas(caFile: string | undefined = tlsCaFromEnv()): { ca?: string[] } {
  if (!caFile) return {};
  let ca = loaded.get(caFile);
  if (!ca) {
    ca = [...rootCertificates, readFileSync(caFile, 'utf8')];
    loaded.set(caFile, ca);
  }
  return { ca: [...ca] };
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The TLS verification error in `error`'s cause chain, if any. */
function tlsFailure(error: unknown): (Error & { code: string }) | undefined {
  let e: unknown = error;
  for (let depth = 0; e && depth < 6; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_CODES.has(code)) return e as Error & { code: string };
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A message naming the host when `error` is a certificate verification failure connecting to `url`
 * (`TLS: the certificate of rabbit.example:5671 cannot be verified (SELF_SIGNED_CERT_IN_CHAIN …)`),
 * else undefined.
 */
export function describeTlsFailure(error: unknown, url: string): string | undefined {
  const failure = tlsFailure(error);
  if (!failure) return undefined;
  let where = url;
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || (u.protocol === 'amqps:' ? '5671' : '6379')}`;
  } catch {
    // not a URL: name it as given
  }
  return failure.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
    ? `TLS: the certificate of ${where} does not name that host (${failure.message}); connect by a name the certificate lists`
    : `TLS: the certificate of ${where} cannot be verified (${failure.code}: ${failure.message}); ` +
        'trust its CA with BLOODBANK_TLS_CA=<PEM file>';
}
