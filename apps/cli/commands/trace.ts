/**
 * `bb trace <event-id>`: the causation graph recorded in Redis, drawn as trees — the event's ancestors
 * (its parents, their parents…) and its descendants. An event reached twice is drawn once and marked.
 */
import type { CorrelationTracker } from 'bloodbank/redis/correlation-tracker.js';
import { getConfig, openConnection, openTracker, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, out, printJson, UUID_RE } from '../support/output.js';

export type TraceDirection = 'ancestors' | 'descendants' | 'both';

export interface TraceNode {
  readonly event_id: string;
  /** From the correlation metadata, when the publisher stored it. */
  readonly event_type: string | null;
  /** Already drawn elsewhere in this tree (a diamond or a cycle). */
  readonly repeated: boolean;
  readonly children: TraceNode[];
}

export interface Trace {
  readonly event_id: string;
  readonly workflow_id: string | null;
  readonly ancestors?: TraceNode;
  readonly descendants?: TraceNode;
}

const MAX_DEPTH = 100;

export async function buildTrace(
  tracker: CorrelationTracker,
  eventId: string,
  direction: TraceDirection,
): Promise<Trace> {
  const id = eventId.toLowerCase();
  const [parents, children, workflowId] = await Promise.all([
    tracker.getParents(id),
    tracker.getChildren(id),
    tracker.getWorkflowId(id),
  ]);
  if (parents.length === 0 && children.length === 0 && workflowId === undefined)
    throw new CliError(
      `no correlation recorded for ${id}: it has no parents and no children in Redis. Links are written ` +
        'when an event is published with parents (--parent) and kept CORRELATION_TTL_DAYS days',
      EXIT.notFound,
    );
  const labels = new Map<string, string | null>();
  const label = async (node: string): Promise<string | null> => {
    if (!labels.has(node)) {
      const meta = await tracker.getMetadata(node);
      labels.set(node, typeof meta?.['event_type'] === 'string' ? meta['event_type'] : null);
    }
    return labels.get(node) ?? null;
  };
  const walk = async (
    node: string,
    next: (id: string) => Promise<string[]>,
    seen: Set<string>,
    depth: number,
  ): Promise<TraceNode> => {
    const repeated = seen.has(node);
    seen.add(node);
    const kids = repeated || depth >= MAX_DEPTH ? [] : await next(node);
    const childNodes: TraceNode[] = [];
    for (const kid of kids) childNodes.push(await walk(kid, next, seen, depth + 1));
    return { event_id: node, event_type: await label(node), repeated, children: childNodes };
  };
  return {
    event_id: id,
    workflow_id: workflowId ?? null,
    ...(direction !== 'descendants'
      ? { ancestors: await walk(id, (n) => tracker.getParents(n), new Set(), 0) }
      : {}),
    ...(direction !== 'ancestors'
      ? { descendants: await walk(id, (n) => tracker.getChildren(n), new Set(), 0) }
      : {}),
  };
}

/** Box-drawing lines of a tree. */
export function drawTree(root: TraceNode): string[] {
  const name = (n: TraceNode) =>
    `${n.event_id}${n.event_type ? `  ${n.event_type}` : ''}${n.repeated ? '  (see above)' : ''}`;
  const lines = [name(root)];
  const visit = (node: TraceNode, prefix: string) => {
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${name(child)}`);
      visit(child, `${prefix}${last ? '    ' : '│   '}`);
    });
  };
  visit(root, '');
  return lines;
}

export async function trace(
  _globals: GlobalOptions,
  eventId: string,
  options: { direction: TraceDirection; json?: boolean },
): Promise<void> {
  if (!UUID_RE.test(eventId))
    throw new CliError(`${JSON.stringify(eventId)} is not an event id (a UUID)`, EXIT.usage);
  const result = await traceWithHistory(eventId, options.direction);
  if (options.json) {
    printJson(result);
    return;
  }
  if (result.workflow_id) out(`workflow ${result.workflow_id}`);
  if (result.ancestors) {
    out('\nancestors (each line caused by the lines below it):');
    for (const line of drawTree(result.ancestors)) out(`  ${line}`);
  }
  if (result.descendants) {
    out('\ndescendants (each line caused the lines below it):');
    for (const line of drawTree(result.descendants)) out(`  ${line}`);
  }
}

/**
 * The chain from Redis; when Redis has none for the event (or cannot be reached), from the history
 * stream (trace-history.ts). Throws the Redis error when history has nothing either.
 */
async function traceWithHistory(eventId: string, direction: TraceDirection): Promise<Trace> {
  const config = await getConfig();
  let redisError: CliError;
  try {
    const tracker = await openTracker(config, true);
    try {
      return await buildTrace(tracker, eventId, direction);
    } finally {
      await tracker.close();
    }
  } catch (error) {
    if (
      !(error instanceof CliError) ||
      (error.exitCode !== EXIT.notFound && error.exitCode !== EXIT.unavailable)
    )
      throw error;
    redisError = error;
  }
  const { traceFromHistory } = await import('./trace-history.js');
  const connection = await openConnection(config, 'trace').catch(() => null);
  if (!connection) throw redisError;
  try {
    const found = await traceFromHistory(
      { connection, exchange: config.exchangeName },
      eventId,
      direction,
    ).catch(() => null);
    if (!found) throw redisError;
    info(`bb: ${redisError.message.split(':')[0]}; drawn from the history stream instead`);
    return found;
  } finally {
    await connection.close();
  }
}
