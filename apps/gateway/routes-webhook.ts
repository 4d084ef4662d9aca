/**
 * `POST /webhooks/fireflies`: Fireflies' transcript webhook → `fireflies.transcript.ready`.
 * Authenticated by `X-Hub-Signature: sha256=<HMAC of the raw body>` (FIREFLIES_WEBHOOK_SECRET), not by
 * API key. A signed body that cannot be mapped publishes `fireflies.transcript.failed` (stage
 * `transcription`, as the original) and answers 422; if even that cannot be published, 503.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createEnvelope } from 'bloodbank/envelope.js';
import { formatIssues } from 'bloodbank/errors/payload-validation-error.js';
import { deterministicId } from 'bloodbank/ids.js';
import type { ValidationIssue } from 'bloodbank/registry.js';
import type { GatewayContext } from './context.js';
import { FAILED, mapFirefliesWebhook, READY, verifySignature } from './fireflies.js';
import { HttpError } from './http-error.js';

export function registerWebhookRoutes(app: FastifyInstance, ctx: GatewayContext, bodyLimit: number): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    scope.post('/webhooks/fireflies', { config: { auth: false, rateLimit: true } }, (request, reply) =>
      fireflies(ctx, request, reply),
    );
  });
}

async function fireflies(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { webhookSecret } = ctx;
  if (!webhookSecret)
    throw new HttpError(
      403,
      'webhook_disabled',
      'the Fireflies webhook is disabled: FIREFLIES_WEBHOOK_SECRET is not set',
    );
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const signature = request.headers['x-hub-signature'];
  if (!verifySignature(webhookSecret, raw, Array.isArray(signature) ? signature[0] : signature)) {
    ctx.gatewayMetrics.webhooks.inc({ outcome: 'bad_signature' });
    throw new HttpError(
      401,
      'invalid_signature',
      'X-Hub-Signature must be sha256=<hex HMAC-SHA256 of the raw body> under FIREFLIES_WEBHOOK_SECRET',
    );
  }
  const source = { host: request.ip || 'unknown', type: 'hook' as const, app: 'fireflies-webhook' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return unmappable(ctx, reply, source, null, ['the body is not JSON'], []);
  }
  const mapped = mapFirefliesWebhook(parsed);
  if (!mapped.payload) return unmappable(ctx, reply, source, mapped.transcriptId, mapped.problems, []);
  const def = ctx.registry.require(READY);
  const result = def.validatePublish(mapped.payload);
  if (!result.ok)
    return unmappable(
      ctx,
      reply,
      source,
      mapped.transcriptId,
      ['the mapped transcript fails its schema'],
      result.issues,
    );
  const envelope = createEnvelope(READY, result.value, {
    source,
    eventId: deterministicId(READY, { transcript_id: mapped.transcriptId }),
  });
  const receipt = await ctx.broker.publish(envelope);
  ctx.gatewayMetrics.webhooks.inc({ outcome: 'published' });
  return reply.code(202).send({
    status: 'published',
    event_id: receipt.eventId,
    event_type: READY,
    transcript_id: mapped.transcriptId,
  });
}

async function unmappable(
  ctx: GatewayContext,
  reply: FastifyReply,
  source: { host: string; type: 'hook'; app: string },
  transcriptId: string | null,
  problems: readonly string[],
  issues: readonly ValidationIssue[],
): Promise<FastifyReply> {
  const message = [...problems, ...(issues.length > 0 ? [formatIssues(issues.slice(0, 20))] : [])].join('; ');
  const def = ctx.registry.require(FAILED);
  const failed = def.validatePublish({
    failed_stage: 'transcription',
    error_message: `cannot map the Fireflies webhook: ${message}`.slice(0, 65_536),
    error_code: 'unmappable_webhook',
    transcript_id: transcriptId === null ? null : transcriptId.slice(0, 255),
    is_retryable: false,
    metadata: {
      problems,
      issues: issues.slice(0, 20).map((i) => ({ pointer: i.pointer, rule: i.rule, message: i.message })),
    },
  });
  if (!failed.ok)
    throw new Error(`fireflies.transcript.failed does not validate: ${formatIssues(failed.issues)}`);
  const receipt = await ctx.broker.publish(createEnvelope(FAILED, failed.value, { source }));
  ctx.gatewayMetrics.webhooks.inc({ outcome: 'unmappable' });
  return reply.code(422).send({
    error: 'unmappable_webhook',
    message: `cannot map the Fireflies webhook to ${READY}: ${message}; published ${FAILED}`,
    transcript_id: transcriptId,
    failure_event_id: receipt.eventId,
    issues: issues.slice(0, 100),
  });
}
