/**
 * `GET /ws/events?pattern=<topic pattern>`: live events for UIs, over WebSocket.
 *
 * `#` must be written `%23` (`?pattern=fireflies.%23`): a raw `#` starts the URL fragment, which clients
 * never send, so the server sees `fireflies.` or an empty pattern; that is answered with an error frame
 * saying how to encode it, then the socket is closed (4400). Frames are JSON: `{"type":"hello"}` once,
 * then `{"type":"event","routing_key":…,"envelope":{…}}` per event, and `{"type":"error",…}` before
 * a close. With API keys, the key comes as a header or `?api_key=` (browsers cannot set headers) and only
 * events within its scopes are delivered. The server pings every `keepaliveMs` and drops a client that
 * did not answer the previous ping; a client with more than `maxBufferedBytes` unsent is dropped (1008)
 * rather than buffered without bound.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { assertTopicPattern } from 'bloodbank/delivery/topic.js';
import { presentedKey, type ApiKey } from './auth.js';
import type { GatewayContext } from './context.js';
import { HttpError, isHttpError } from './http-error.js';

export const CLOSE_BAD_PATTERN = 4400;
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_UNAVAILABLE = 4503;
export const CLOSE_SLOW = 1008;

/** The pattern, or the message explaining what is wrong with it. */
export function checkPattern(raw: unknown): { pattern: string } | { error: string } {
  const hint =
    "write '#' as %23 in the URL (?pattern=fireflies.%23): a raw '#' starts the URL fragment and is never sent";
  if (raw === undefined || raw === '') return { error: `pattern is missing or empty; ${hint}` };
  if (typeof raw !== 'string') return { error: 'give one pattern' };
  if (raw.endsWith('.') || raw.includes('..'))
    return { error: `pattern ${JSON.stringify(raw)} ends with an empty word: was it cut at a '#'? ${hint}` };
  try {
    assertTopicPattern(raw);
  } catch {
    return {
      error: `pattern ${JSON.stringify(raw)} is not a topic pattern (words of a-z, 0-9, _ or -, '*' or '#', separated by '.')`,
    };
  }
  return { pattern: raw };
}

function queryKey(request: FastifyRequest): string | undefined {
  const q = (request.query as Record<string, unknown>)['api_key'];
  return typeof q === 'string' && q !== '' ? q : undefined;
}

export function registerWsRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const clients = new Set<WebSocket>();

  app.route({
    method: 'GET',
    url: '/ws/events',
    config: { auth: 'ws' },
    // A plain GET (no upgrade) gets the same pattern check as JSON, then 426.
    handler: async (request) => {
      const checked = checkPattern((request.query as Record<string, unknown>)['pattern']);
      if ('error' in checked) throw new HttpError(400, 'invalid_pattern', checked.error);
      throw new HttpError(
        426,
        'upgrade_required',
        'this endpoint speaks WebSocket (ws://…/ws/events?pattern=…)',
      );
    },
    wsHandler: async (socket, request) => {
      const fail = (code: number, error: string, message: string) => {
        socket.send(JSON.stringify({ type: 'error', error, message }));
        socket.close(code, message.slice(0, 120));
      };
      let principal: ApiKey | null = null;
      if (ctx.authMode === 'keys') {
        const presented = presentedKey(request.headers) ?? queryKey(request);
        try {
          principal = await ctx.credentials.authenticate(presented);
        } catch (error) {
          const message =
            presented === undefined
              ? 'an API key is required (header or ?api_key=)'
              : isHttpError(error)
                ? error.message
                : 'the credentials cannot be checked';
          fail(CLOSE_UNAUTHORIZED, 'unauthorized', message);
          return;
        }
      }
      const checked = checkPattern((request.query as Record<string, unknown>)['pattern']);
      if ('error' in checked) {
        fail(CLOSE_BAD_PATTERN, 'invalid_pattern', checked.error);
        return;
      }
      const { pattern } = checked;
      const key = principal;
      let alive = true;
      let closed = false;
      clients.add(socket);
      ctx.gatewayMetrics.wsClients.set(clients.size);
      socket.on('pong', () => {
        alive = true;
      });
      const ping = setInterval(() => {
        if (!alive) {
          ctx.gatewayMetrics.wsDropped.inc({ reason: 'keepalive' });
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
      }, ctx.ws.keepaliveMs);
      ping.unref();

      const drop = (reason: 'slow' | 'broker') => {
        if (closed) return;
        ctx.gatewayMetrics.wsDropped.inc({ reason });
        if (reason === 'slow') {
          socket.close(CLOSE_SLOW, `slow consumer: more than ${ctx.ws.maxBufferedBytes} bytes unsent`);
          setTimeout(() => socket.terminate(), 1_000).unref();
        } else
          fail(CLOSE_UNAVAILABLE, 'broker_unavailable', 'the broker connection was lost; reconnect later');
      };
      const deliver = (routingKey: string, body: Buffer) => {
        if (closed || socket.readyState !== socket.OPEN) return;
        if (key && !ctx.credentials.allows(key, routingKey)) return;
        if (socket.bufferedAmount > ctx.ws.maxBufferedBytes) {
          drop('slow');
          return;
        }
        let envelope: unknown;
        try {
          envelope = JSON.parse(body.toString('utf8'));
        } catch {
          envelope = null;
        }
        socket.send(JSON.stringify({ type: 'event', routing_key: routingKey, envelope }));
      };
      const subscription = ctx.stream.subscribe(pattern, deliver, () => drop('broker'));
      const cleanup = () => {
        if (closed) return;
        closed = true;
        clearInterval(ping);
        clients.delete(socket);
        ctx.gatewayMetrics.wsClients.set(clients.size);
        void subscription.then((s) => s.close()).catch(() => undefined);
      };
      socket.on('close', cleanup);
      socket.on('error', cleanup);
      subscription.then(
        () => {
          if (!closed)
            socket.send(JSON.stringify({ type: 'hello', pattern, keepalive_ms: ctx.ws.keepaliveMs }));
        },
        (error: unknown) => {
          ctx.logger.warn({ err: error, pattern }, 'live stream subscription failed');
          fail(CLOSE_UNAVAILABLE, 'broker_unavailable', 'the broker is not reachable; reconnect later');
        },
      );
    },
  });

  app.addHook('preClose', async () => {
    for (const socket of clients) socket.close(1001, 'gateway shutting down');
  });
}
