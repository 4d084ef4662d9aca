/** The readable report of a contract diff: what changed, whom it breaks, what to do. */
import type { ContractChange, ContractDiff } from './diff.js';

export interface ReportOptions {
  /** ANSI colours (for a terminal). */
  readonly color?: boolean;
  /** How the user would run the `version` command (`npx bloodbank-codegen version`). */
  readonly versionCommand?: string;
  /** A line on how to accept the break anyway (the codegen gate). */
  readonly acceptHint?: string;
}

/** Who is hurt when a direction does not hold. */
export function whoBreaks(c: Pick<ContractChange, 'backward' | 'forward'>): string[] {
  const out: string[] = [];
  if (!c.backward) {
    out.push(
      'consumers upgraded to the new schema reject events the old producers still publish (and every replayed event)',
    );
  }
  if (!c.forward) out.push('consumers still on the old schema reject events the upgraded producers publish');
  return out;
}

export function formatReport(diff: ContractDiff, options: ReportOptions = {}): string {
  const paint = (code: number) => (s: string) => (options.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const red = paint(31);
  const green = paint(32);
  const yellow = paint(33);
  const bold = paint(1);
  const dim = paint(2);
  const lines: string[] = [];
  const breaking = diff.changes.filter((c) => c.breaking);
  if (diff.changes.length === 0) return 'contract: no change to any message payload.';
  lines.push(
    diff.compatible
      ? green(`contract: ${diff.changes.length} compatible change${s(diff.changes.length)}, nothing breaks.`)
      : red(bold(`contract: ${breaking.length} breaking change${s(breaking.length)}`)) +
          ` (${diff.changes.length} change${s(diff.changes.length)} in all).`,
  );
  const groups = new Map<string, ContractChange[]>();
  for (const c of diff.changes) {
    const key = `${c.channel}\u0000${c.message}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  for (const group of groups.values()) {
    const first = group[0] as ContractChange;
    const broken = group.some((c) => c.breaking);
    lines.push('');
    lines.push(
      `${broken ? red('✗') : green('✓')} ${bold(first.channel)} ${dim(`message ${first.message}, ${first.kind}, held ${first.compatibility.toUpperCase()}`)}`,
    );
    for (const c of group) {
      const dir = (ok: boolean, name: string) => (ok ? green(`${name} ✓`) : red(`${name} ✗`));
      lines.push(
        `    ${c.breaking ? red('BREAKING') : yellow('ok      ')} ${bold(c.pointer)}  ${c.rule}  [${dir(c.backward, 'backward')} ${dir(c.forward, 'forward')}]`,
      );
      lines.push(`        ${c.explanation}`);
      if (c.breaking) for (const who of whoBreaks(c)) lines.push(`        breaks: ${who}`);
    }
  }
  if (!diff.compatible) {
    const versionCmd = options.versionCommand ?? 'npx bloodbank-codegen version';
    const keys = [
      ...new Set(breaking.filter((c) => c.rule !== 'channel-removed').map((c) => c.address ?? c.channel)),
    ];
    lines.push('');
    lines.push(bold('What to do:'));
    lines.push(
      '  - make the edit compatible: add fields as optional (or with a default), widen rather than narrow, keep removed fields optional first;',
    );
    if (keys.length > 0) {
      lines.push(
        '  - or publish the change as a new version beside the old one (the old channel stays as it was, deprecated):',
      );
      for (const k of keys) lines.push(`      ${versionCmd} ${k}`);
      lines.push("    then make the edit in the new version's schema;");
    }
    if (breaking.some((c) => c.rule === 'channel-removed'))
      lines.push('  - keep a removed channel, marked deprecated: true, until no one publishes it;');
    if (options.acceptHint) lines.push(`  - ${options.acceptHint}`);
  }
  return lines.join('\n');
}

function s(n: number): string {
  return n === 1 ? '' : 's';
}

/** The `--json` shape. */
export function toJson(diff: ContractDiff): {
  compatible: boolean;
  changes: Array<
    Pick<
      ContractChange,
      'channel' | 'message' | 'pointer' | 'rule' | 'backward' | 'forward' | 'breaking' | 'explanation'
    >
  >;
} {
  return {
    compatible: diff.compatible,
    changes: diff.changes.map((c) => ({
      channel: c.channel,
      message: c.message,
      pointer: c.pointer,
      rule: c.rule,
      backward: c.backward,
      forward: c.forward,
      breaking: c.breaking,
      explanation: c.explanation,
    })),
  };
}
