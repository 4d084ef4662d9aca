/**
 * AMQP topic matching, exactly as RabbitMQ's topic exchange does it: words are separated by `.`,
 * `*` matches exactly one word, `#` matches zero or more words (so `a.#` matches `a`, and `#` matches
 * everything).
 */

const PATTERN = /^(?:[A-Za-z0-9_-]+|\*|#)(?:\.(?:[A-Za-z0-9_-]+|\*|#))*$/;

/** Throws `RangeError` when `pattern` is not a binding pattern (empty words, stray characters). */
export function assertTopicPattern(pattern: string): void {
  if (!PATTERN.test(pattern)) throw new RangeError(`invalid topic pattern ${JSON.stringify(pattern)}`);
}

export function topicMatches(pattern: string, routingKey: string): boolean {
  return matchWords(pattern.split('.'), 0, routingKey.split('.'), 0);
}

function matchWords(p: readonly string[], pi: number, k: readonly string[], ki: number): boolean {
  while (pi < p.length) {
    const word = p[pi];
    if (word === '#') {
      // Collapse consecutive `#`s, then try every split point (zero words first).
      while (p[pi + 1] === '#') pi += 1;
      if (pi === p.length - 1) return true;
      for (let skip = ki; skip <= k.length; skip += 1) if (matchWords(p, pi + 1, k, skip)) return true;
      return false;
    }
    if (ki >= k.length) return false;
    if (word !== '*' && word !== k[ki]) return false;
    pi += 1;
    ki += 1;
  }
  return ki === k.length;
}

/**
 * A compiled set of patterns (one subscription's bindings). Answers are remembered per routing key (a
 * bus has few event types; checking every delivery costs a map lookup), up to 1,024 keys.
 */
export function compileTopicPatterns(patterns: readonly string[]): (routingKey: string) => boolean {
  for (const p of patterns) assertTopicPattern(p);
  const known = new Map<string, boolean>();
  return (routingKey) => {
    let match = known.get(routingKey);
    if (match === undefined) {
      match = patterns.some((p) => topicMatches(p, routingKey));
      if (known.size < 1024) known.set(routingKey, match);
    }
    return match;
  };
}
