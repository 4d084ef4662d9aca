/**
 * `npm run bench -- cli`: start-up of the built `bb` (`apps/dist/apps/cli/main.js`, run `npm run build`
 * first) for `bb --help` and `bb list-events --json`, against `node -e 0` measured in the same run,
 * interleaved, median of the runs. Issue 6's target: `bb --help` feels instant (a few tenths of a second).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BB = `${ROOT}apps/dist/apps/cli/main.js`;

function timeOnce(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, BLOODBANK_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${String(run.stderr)}`);
  return ms;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

export function benchCli(options: { log: (line: string) => void; runs?: number }): {
  rows: Array<Record<string, string | number>>;
} {
  if (!existsSync(BB)) throw new Error(`${BB} does not exist: run npm run build first`);
  const cases = [
    { name: 'node -e 0 (baseline)', args: ['-e', '0'] },
    { name: 'bb --help', args: [BB, '--help'] },
    { name: 'bb list-events --json', args: [BB, 'list-events', '--json'] },
  ];
  const times = cases.map(() => [] as number[]);
  const runs = options.runs ?? 15;
  for (const c of cases) timeOnce(c.args); // warm the file cache
  for (let i = 0; i < runs; i++) cases.forEach((c, j) => times[j]?.push(timeOnce(c.args)));
  const base = median(times[0] ?? []);
  options.log(`  ${runs} runs each, interleaved; medians`);
  return {
    rows: cases.map((c, j) => {
      const ms = median(times[j] ?? []);
      return { command: c.name, 'median ms': Math.round(ms), 'vs node -e 0': Number((ms / base).toFixed(2)) };
    }),
  };
}
