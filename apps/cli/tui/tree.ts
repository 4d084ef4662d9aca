/**
 * The event browser's tree, domain → entity → action, built from the registry: the first token of a
 * routing key is the domain, the last the action, the tokens between the entity
 * (`theboard.meeting.participant.turn.completed` → theboard › meeting.participant.turn › completed).
 * Two-token keys (`llm.prompt`) hang directly under their domain.
 */
import type { EventDefinition, EventKind } from 'bloodbank/registry.js';

export interface TreeNode {
  /** Unique id: the token path (`fireflies`, `fireflies.transcript`, or the routing key for leaves). */
  readonly id: string;
  readonly label: string;
  readonly depth: number;
  /** Set on leaves. */
  readonly event?: { readonly key: string; readonly kind: EventKind };
  readonly children: readonly TreeNode[];
}

export function buildTree(
  definitions: readonly Pick<EventDefinition, 'key' | 'tokens' | 'kind'>[],
): TreeNode[] {
  const domains = new Map<string, Map<string, Pick<EventDefinition, 'key' | 'tokens' | 'kind'>[]>>();
  for (const d of [...definitions].sort((a, b) => a.key.localeCompare(b.key))) {
    const domain = d.tokens[0] ?? d.key;
    const entity = d.tokens.slice(1, -1).join('.');
    const entities = domains.get(domain) ?? new Map();
    domains.set(domain, entities);
    const list = entities.get(entity) ?? [];
    entities.set(entity, list);
    list.push(d);
  }
  const leaf = (d: Pick<EventDefinition, 'key' | 'tokens' | 'kind'>, depth: number): TreeNode => ({
    id: d.key,
    label: d.tokens[d.tokens.length - 1] ?? d.key,
    depth,
    event: { key: d.key, kind: d.kind },
    children: [],
  });
  return [...domains].map(([domain, entities]) => ({
    id: domain,
    label: domain,
    depth: 0,
    children: [...entities].flatMap(([entity, list]) =>
      entity === ''
        ? list.map((d) => leaf(d, 1))
        : [
            {
              id: `${domain}.${entity}`,
              label: entity,
              depth: 1,
              children: list.map((d) => leaf(d, 2)),
            },
          ],
    ),
  }));
}

/** The rows on screen: every node whose ancestors are all expanded, in order. */
export function visibleRows(roots: readonly TreeNode[], expanded: ReadonlySet<string>): TreeNode[] {
  const out: TreeNode[] = [];
  const walk = (nodes: readonly TreeNode[]) => {
    for (const node of nodes) {
      out.push(node);
      if (node.children.length > 0 && expanded.has(node.id)) walk(node.children);
    }
  };
  walk(roots);
  return out;
}

/** The ids to expand so that the node `id` (a routing key or a token path) is visible. */
export function ancestorsOf(roots: readonly TreeNode[], id: string): string[] {
  const path: string[] = [];
  const find = (nodes: readonly TreeNode[]): boolean => {
    for (const node of nodes) {
      if (node.id === id) return true;
      path.push(node.id);
      if (find(node.children)) return true;
      path.pop();
    }
    return false;
  };
  return find(roots) ? path : [];
}

/** The parent of the node `id` among the visible rows (for ← on a leaf), or undefined at the top. */
export function parentOf(roots: readonly TreeNode[], id: string): TreeNode | undefined {
  let found: TreeNode | undefined;
  const walk = (nodes: readonly TreeNode[], parent: TreeNode | undefined) => {
    for (const node of nodes) {
      if (node.id === id) found = parent;
      walk(node.children, node);
    }
  };
  walk(roots, undefined);
  return found;
}
