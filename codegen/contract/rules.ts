/**
 * The compatibility rules of `bloodbank-codegen diff`. Every change the schema diff reports carries one of
 * these ids; `backward` and `forward` are decided per change (DESIGN.md §5 readers: tolerant on consume,
 * unknown properties dropped, defaults applied).
 *
 * - backward: a reader built from the NEW schema accepts every payload the OLD schema accepted
 *   (consumers upgraded first; events replayed from history).
 * - forward: a reader built from the OLD schema accepts every payload the NEW schema allows
 *   (producers upgraded first).
 */
export const RULES = {
  'channel-added': 'a channel was added',
  'channel-removed': 'a channel was removed: its publishers and subscribers lose their contract',
  'message-added': 'a message was added to a channel',
  'message-removed': 'a message was removed from a channel',
  'property-added': 'an optional property (or a required one with a default) was added',
  'required-property-added': 'a required property without a default was added',
  'property-removed': 'an optional property (or one with a default) was removed',
  'required-property-removed': 'a required property without a default was removed',
  'property-required': 'an optional property became required',
  'property-optional': 'a required property became optional',
  'type-widened': 'the type accepts more kinds of value (integer → number, a type added)',
  'type-narrowed': 'the type accepts fewer kinds of value (number → integer, a type removed)',
  'type-changed': 'the type changed to an unrelated one',
  'nullable-added': 'null became an allowed value',
  'nullable-removed': 'null is no longer an allowed value',
  'enum-widened': 'values were added to the enum',
  'enum-narrowed': 'values were removed from the enum, or an enum was added',
  'enum-changed': 'values were both added to and removed from the enum',
  'const-changed': 'the constant value changed',
  'bound-tightened':
    'a bound (length, items, properties, minimum/maximum, multipleOf, uniqueItems) was tightened',
  'bound-loosened':
    'a bound (length, items, properties, minimum/maximum, multipleOf, uniqueItems) was loosened',
  'pattern-added': 'a pattern was added',
  'pattern-removed': 'a pattern was removed',
  'pattern-changed': 'a pattern was replaced by another (undecidable: counted as breaking both ways)',
  'format-added': 'a format was added',
  'format-removed': 'a format was removed',
  'format-changed': 'a format was replaced by another',
  'branch-added': 'a oneOf/anyOf branch was added',
  'branch-removed': 'a oneOf/anyOf branch was removed',
  'default-changed': 'the default value changed (readers fill in a different value)',
  'keyword-changed': 'a keyword the diff cannot compare exactly changed (undecidable: counted as breaking)',
} as const;

export type RuleId = keyof typeof RULES;

/** One classified change, as `--json` prints it (plus `breaking`, decided by the policy). */
export interface SchemaChange {
  /** JSON pointer into the payload (`*` stands for any array item or map key). */
  readonly pointer: string;
  readonly rule: RuleId;
  readonly backward: boolean;
  readonly forward: boolean;
  readonly explanation: string;
}

export type Compatibility = 'full' | 'backward' | 'forward' | 'none';

export const COMPATIBILITY_MODES: readonly Compatibility[] = ['full', 'backward', 'forward', 'none'];

/** Whether a change breaks a channel held to `mode`. */
export function isBreaking(change: Pick<SchemaChange, 'backward' | 'forward'>, mode: Compatibility): boolean {
  const needBackward = mode === 'full' || mode === 'backward';
  const needForward = mode === 'full' || mode === 'forward';
  return (needBackward && !change.backward) || (needForward && !change.forward);
}
