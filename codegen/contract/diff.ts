/**
 * Diff two contracts (two versions of an AsyncAPI document, or the lock snapshot and the document) and
 * decide, per message, whether each change breaks the channel's compatibility policy.
 *
 * Policy: events are held FULL (backward and forward), a command's request BACKWARD (its processor is
 * upgraded first), a reply FORWARD (the requester reads it with the schema it was built with).
 * `x-bloodbank-compatibility` on a channel overrides that; `--mode` replaces the defaults for every
 * channel that does not say.
 */
import type { Contract, ContractMessage, MessageKind } from './read.js';
import { isBreaking } from './rules.js';
import type { Compatibility, RuleId } from './rules.js';
import { diffSchemas } from './schema-diff.js';

export interface ContractChange {
  readonly channel: string;
  readonly message: string;
  readonly pointer: string;
  readonly rule: RuleId;
  readonly backward: boolean;
  readonly forward: boolean;
  readonly breaking: boolean;
  readonly explanation: string;
  /** The policy the message is held to. */
  readonly compatibility: Compatibility;
  readonly kind: MessageKind;
  /** The channel's address (routing key), for the suggested `version` command. */
  readonly address: string | null;
}

export interface ContractDiff {
  readonly compatible: boolean;
  readonly changes: readonly ContractChange[];
}

export interface DiffOptions {
  /** Replaces the per-kind defaults (a channel's own `x-bloodbank-compatibility` still wins). */
  readonly mode?: Compatibility | undefined;
}

const DEFAULT_POLICY: Readonly<Record<MessageKind, Compatibility>> = {
  event: 'full',
  command: 'backward',
  reply: 'forward',
};

export function policyOf(message: ContractMessage, options: DiffOptions = {}): Compatibility {
  return message.compatibility ?? options.mode ?? DEFAULT_POLICY[message.kind];
}

export function diffContracts(before: Contract, after: Contract, options: DiffOptions = {}): ContractDiff {
  const changes: ContractChange[] = [];
  const oldById = new Map(before.messages.map((m) => [m.id, m]));
  const newById = new Map(after.messages.map((m) => [m.id, m]));
  const channelsOf = (c: Contract): Map<string, ContractMessage[]> => {
    const map = new Map<string, ContractMessage[]>();
    for (const m of c.messages) map.set(m.channel, [...(map.get(m.channel) ?? []), m]);
    return map;
  };
  const oldChannels = channelsOf(before);
  const newChannels = channelsOf(after);
  const push = (
    m: ContractMessage,
    policy: Compatibility,
    c: Omit<ContractChange, 'channel' | 'message' | 'breaking' | 'compatibility' | 'kind' | 'address'>,
  ): void => {
    changes.push({
      channel: m.channel,
      message: m.message,
      pointer: c.pointer,
      rule: c.rule,
      backward: c.backward,
      forward: c.forward,
      breaking: isBreaking(c, policy),
      explanation: c.explanation,
      compatibility: policy,
      kind: m.kind,
      address: m.address,
    });
  };

  // Pair messages: by id, or the only message of a channel on both sides (a renamed message).
  const pairs: Array<[ContractMessage, ContractMessage]> = [];
  const removed: ContractMessage[] = [];
  const pairedNew = new Set<string>();
  for (const m of before.messages) {
    const same = newById.get(m.id);
    const onlyOld = oldChannels.get(m.channel) ?? [];
    const onlyNew = newChannels.get(m.channel) ?? [];
    const renamed =
      !same &&
      onlyOld.length === 1 &&
      onlyNew.length === 1 &&
      !oldById.has((onlyNew[0] as ContractMessage).id)
        ? onlyNew[0]
        : undefined;
    const partner = same ?? renamed;
    if (partner) {
      pairs.push([m, partner]);
      pairedNew.add(partner.id);
    } else removed.push(m);
  }
  for (const [o, n] of pairs) {
    // Bundled schemas have sorted keys: the same text is the same schema.
    if (JSON.stringify(o.schema) === JSON.stringify(n.schema)) continue;
    const policy = policyOf(n, options);
    for (const c of diffSchemas(o.schema, n.schema)) push(n, policy, c);
  }
  const reportedChannels = new Set<string>();
  for (const m of removed) {
    const policy = policyOf(m, options);
    if (!newChannels.has(m.channel)) {
      if (reportedChannels.has(m.channel)) continue;
      reportedChannels.add(m.channel);
      push(m, policy, {
        pointer: '/',
        rule: 'channel-removed',
        backward: false,
        forward: false,
        explanation: `channel ${m.channel} was removed: its subscribers never receive another event and its publishers no longer compile. Keep it (mark it deprecated: true) until no one publishes it`,
      });
    } else {
      push(m, policy, {
        pointer: '/',
        rule: 'message-removed',
        backward: false,
        forward: true,
        explanation: `message ${m.message} was removed from channel ${m.channel}: events of that shape are no longer read`,
      });
    }
  }
  for (const m of after.messages) {
    if (pairedNew.has(m.id)) continue;
    const policy = policyOf(m, options);
    const channelIsNew = !oldChannels.has(m.channel);
    if (channelIsNew && reportedChannels.has(`+${m.channel}`)) continue;
    reportedChannels.add(`+${m.channel}`);
    push(m, policy, {
      pointer: '/',
      rule: channelIsNew ? 'channel-added' : 'message-added',
      backward: true,
      forward: channelIsNew,
      explanation: channelIsNew
        ? `channel ${m.channel} was added`
        : `message ${m.message} was added to channel ${m.channel}: subscribers built from the old document do not know it`,
    });
  }
  changes.sort(
    (a, b) =>
      cmp(a.channel, b.channel) ||
      cmp(a.message, b.message) ||
      cmp(a.pointer, b.pointer) ||
      cmp(a.rule, b.rule),
  );
  return { compatible: changes.every((c) => !c.breaking), changes };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
