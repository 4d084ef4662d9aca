/**
 * `bb trace` when Redis has no chain (links expired after CORRELATION_TTL_DAYS, tracking was off, Redis
 * is away): the same trees rebuilt from the history stream. One pass collects the event, its workflow's
 * members and its direct children; when the event is not its workflow's root, a second pass collects the
 * whole workflow. Parents come from each envelope's `correlation_ids`; a parent outside the stream's
 * retention appears as a leaf without a type.
 */
import type { HistoryReader } from 'bloodbank/amqp/history.js';
import type { Trace, TraceDirection, TraceNode } from './trace.js';

const MAX_DEPTH = 100;

interface Known {
  readonly type: string;
  readonly parents: readonly string[];
  readonly workflowId: string | null;
}

export async function traceFromHistory(
  reader: HistoryReader,
  eventId: string,
  direction: TraceDirection,
): Promise<(Trace & { source: 'history' }) | null> {
  const { readHistory } = await import('bloodbank/amqp/history.js');
  const id = eventId.toLowerCase();
  const known = new Map<string, Known>();
  const collect = async (correlation: string) => {
    for await (const e of readHistory(reader, { correlation })) {
      known.set(e.envelope.event_id.toLowerCase(), {
        type: e.envelope.event_type,
        parents: (e.envelope.correlation_ids ?? []).map((p) => p.toLowerCase()),
        workflowId: e.workflowId?.toLowerCase() ?? null,
      });
    }
  };
  await collect(id);
  const self = known.get(id);
  if (self?.workflowId && self.workflowId !== id) await collect(self.workflowId);
  const hasChildren = [...known.values()].some((k) => k.parents.includes(id));
  if (!self && !hasChildren) return null;

  const children = new Map<string, string[]>();
  for (const [child, k] of known)
    for (const p of k.parents) children.set(p, [...(children.get(p) ?? []), child]);
  const walk = (
    node: string,
    next: (n: string) => readonly string[],
    seen: Set<string>,
    depth: number,
  ): TraceNode => {
    const repeated = seen.has(node);
    seen.add(node);
    const kids = repeated || depth >= MAX_DEPTH ? [] : next(node);
    return {
      event_id: node,
      event_type: known.get(node)?.type ?? null,
      repeated,
      children: kids.map((k) => walk(k, next, seen, depth + 1)),
    };
  };
  return {
    event_id: id,
    workflow_id: self?.workflowId ?? null,
    ...(direction !== 'descendants'
      ? { ancestors: walk(id, (n) => known.get(n)?.parents ?? [], new Set(), 0) }
      : {}),
    ...(direction !== 'ancestors'
      ? { descendants: walk(id, (n) => children.get(n) ?? [], new Set(), 0) }
      : {}),
    source: 'history',
  };
}
