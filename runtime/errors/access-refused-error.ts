import { BloodbankError } from './bloodbank-error.js';

/** What the broker said when it refused an operation (403 ACCESS_REFUSED), parsed from its close text. */
export interface AccessRefusal {
  /** Undefined when the broker does not say (RabbitMQ 3.10 omits it for topic refusals). */
  readonly access: 'configure' | 'write' | 'read' | undefined;
  /** `topic`: a routing key (publish) or binding key (bind) outside the user's topic permissions. */
  readonly kind: 'topic' | 'queue' | 'exchange';
  /** The routing key, binding key, queue or exchange refused. */
  readonly resource: string;
  /** For `topic`: the exchange. */
  readonly exchange: string | undefined;
  readonly vhost: string;
  readonly user: string;
  /** The broker's own text. */
  readonly text: string;
}

const REFUSAL =
  /(?:(configure|write|read) )?access to (topic|queue|exchange) '([^']*)'(?: in exchange '([^']*)')? in vhost '([^']*)' refused for user '([^']*)'/;

/** The refusal in a 403 channel/connection close error, or undefined for any other error. */
export function parseAccessRefusal(error: unknown): AccessRefusal | undefined {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  const m = REFUSAL.exec(text);
  if (!m) return undefined;
  return {
    access: (m[1] as AccessRefusal['access']) ?? undefined,
    kind: m[2] as AccessRefusal['kind'],
    resource: m[3] ?? '',
    exchange: m[4],
    vhost: m[5] ?? '/',
    user: m[6] ?? '',
    text: /ACCESS_REFUSED - [^"]*/.exec(text)?.[0] ?? text,
  };
}

/**
 * The broker refused a subscription's set-up (403 ACCESS_REFUSED): a binding pattern outside the user's
 * read (topic) permissions, or a queue it may not declare or read. Retrying cannot help; the broker's
 * permissions (policy.yaml, `bb broker apply`) or the subscription must change.
 */
export class AccessRefusedError extends BloodbankError {
  override name = 'AccessRefusedError' as const;
  readonly retryable = false;
  constructor(
    message: string,
    readonly refusal: AccessRefusal,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isAccessRefusedError(error: unknown): error is AccessRefusedError {
  return error instanceof AccessRefusedError;
}
