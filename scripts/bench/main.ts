/**
 * `npm run bench [-- codegen|runtime|gateway|cli|contract|history|install|all] [--quick] [--profile] [--keep] [--runs N]` (default: all).
 *
 *   codegen  scripts/bench/codegen.ts (ours vs Modelina, --watch, 1,000 events, import time; see its header)
 *   runtime  the runtime benches, each when its file exists: runtime-publish.ts (benchPublish),
 *            runtime-consume.ts (benchConsume), tracker.ts (benchTracker); they need RabbitMQ / Redis
 *   gateway  scripts/bench/gateway.ts (HTTP gateway vs bare Fastify + amqplib)
 *   cli      scripts/bench/cli.ts (start-up of the built `bb` vs `node -e 0`)
 *   history  scripts/bench/history.ts (history stream scan vs raw amqplib; the cost of the stream on publish)
 *   install  scripts/bench/install.ts (install size and package count of the packed packages)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchCodegen } from './codegen.js';

const SUITES = ['codegen', 'runtime', 'gateway', 'cli', 'contract', 'history', 'install', 'all'] as const;
type Suite = (typeof SUITES)[number];

const RUNTIME_BENCHES = [
  { file: 'runtime-publish', exportName: 'benchPublish', title: 'runtime: publish' },
  { file: 'runtime-consume', exportName: 'benchConsume', title: 'runtime: consume' },
  { file: 'tracker', exportName: 'benchTracker', title: 'runtime: correlation tracker' },
] as const;

const GATEWAY_BENCHES = [
  { file: 'gateway', exportName: 'benchGateway', title: 'gateway: HTTP publish vs bare Fastify + amqplib' },
  {
    file: 'gateway-peers',
    exportName: 'benchGatewayPeers',
    title: "gateway: /events/custom beside the wire-format baseline and the original's FastAPI stack",
  },
] as const;

const CONTRACT_BENCHES = [
  { file: 'contract', exportName: 'benchContract', title: 'contract: semantic diff vs @asyncapi/diff' },
] as const;

const HISTORY_BENCHES = [
  {
    file: 'history',
    exportName: 'benchHistory',
    title: 'history: stream scan vs raw amqplib; publish with/without the stream',
  },
  {
    file: 'failover',
    exportName: 'benchFailover',
    title: "failover: SIGKILL of the publisher's cluster node → first confirm on another node",
  },
] as const;

const INSTALL_BENCHES = [
  {
    file: 'install',
    exportName: 'benchInstall',
    title: 'install: npm install --omit=dev of the packed packages (runtime alone, + codegen, everything)',
  },
] as const;

const CLI_BENCHES = [
  { file: 'cli', exportName: 'benchCli', title: 'cli: start-up of the built bb' },
] as const;

function printResult(result: unknown): void {
  if (result === undefined || result === null) return;
  if (Array.isArray(result) && result.every((r) => typeof r === 'object' && r !== null)) {
    console.table(result);
  } else if (
    typeof result === 'object' &&
    Object.values(result).every((v) => v === null || typeof v !== 'object')
  ) {
    console.table(result);
  } else {
    console.log(JSON.stringify(result, null, 2));
  }
}

async function runBenches(
  benches: ReadonlyArray<{ readonly file: string; readonly exportName: string; readonly title: string }>,
): Promise<boolean> {
  let ok = true;
  for (const bench of benches) {
    const here = fileURLToPath(new URL('.', import.meta.url));
    if (!existsSync(`${here}${bench.file}.ts`) && !existsSync(`${here}${bench.file}.js`)) {
      console.log(`\n== ${bench.title}: skipped (scripts/bench/${bench.file}.ts does not exist yet)`);
      continue;
    }
    console.log(`\n== ${bench.title} (scripts/bench/${bench.file}.ts)`);
    // A computed specifier: these modules are written separately and may not exist when this compiles.
    const specifier = `./${bench.file}.js`;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(specifier)) as Record<string, unknown>;
    } catch (error) {
      console.error(`  cannot load ${bench.file}: ${(error as Error).message}`);
      ok = false;
      continue;
    }
    const fn = mod[bench.exportName];
    if (typeof fn !== 'function') {
      console.log(`  skipped: ${bench.file} does not export ${bench.exportName}`);
      continue;
    }
    try {
      const result: unknown = await (fn as (options: { log: (line: string) => void }) => unknown)({
        log: (line) => console.log(line),
      });
      printResult(
        typeof result === 'object' && result !== null && 'rows' in result
          ? (result as { rows: unknown }).rows
          : result,
      );
    } catch (error) {
      console.error(`  ${bench.title} failed: ${(error as Error).stack ?? String(error)}`);
      ok = false;
    }
  }
  return ok;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const positional = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '--runs');
  const unknown = positional.filter((a) => !(SUITES as readonly string[]).includes(a));
  if (unknown.length > 0 || args.includes('--help') || args.includes('-h')) {
    console.log(
      'Usage: npm run bench [-- codegen|runtime|gateway|cli|contract|history|install|all] [--quick] [--profile] [--keep] [--runs N]\n' +
        '  codegen   ours vs Modelina, --watch, 1,000 events, import time (scripts/bench/codegen.ts)\n' +
        '  runtime   publish, consume and correlation-tracker benches (need RabbitMQ and Redis)\n' +
        '  gateway   HTTP gateway vs a bare Fastify + amqplib baseline (autocannon)\n' +
        '  cli       start-up of the built bb (--help, list-events) vs node -e 0\n' +
        '  contract  semantic contract diff vs @asyncapi/diff (scripts/bench/contract.ts)\n' +
        '  history   history stream scan vs raw amqplib; publish with and without the stream (BENCH_HISTORY_EVENTS)\n' +
        '  install   install size and package count: runtime alone, + codegen, everything (npm pack)\n' +
        '  all       every suite (default)\n' +
        '  --quick   codegen: the documents and --watch only (no synthetic catalogue)\n' +
        '  --runs N  codegen: cold runs per tool and document (default 5)\n' +
        '  --profile profile the 1,000-event codegen run (node --cpu-prof) and print where time goes\n' +
        '  --keep    keep .bench/codegen-<pid>/',
    );
    return unknown.length > 0 ? 2 : 0;
  }
  const suites = new Set<Suite>(positional.length > 0 ? (positional as Suite[]) : ['all']);
  const want = (s: Exclude<Suite, 'all'>) => suites.has(s) || suites.has('all');
  let ok = true;
  if (want('codegen')) {
    console.log('== codegen');
    const runsAt = args.indexOf('--runs');
    const result = await benchCodegen({
      ...(args.includes('--quick') ? { sizes: [] } : {}),
      ...(runsAt !== -1 ? { runs: Number(args[runsAt + 1]) } : {}),
      profile: args.includes('--profile'),
      keep: args.includes('--keep'),
    });
    if (result.rows.some((r) => r.pass === false)) {
      console.log('codegen: some targets are not met (see FAIL rows); the benchmark is not a test');
    }
  }
  if (want('runtime')) ok = (await runBenches(RUNTIME_BENCHES)) && ok;
  if (want('gateway')) ok = (await runBenches(GATEWAY_BENCHES)) && ok;
  if (want('cli')) ok = (await runBenches(CLI_BENCHES)) && ok;
  if (want('contract')) ok = (await runBenches(CONTRACT_BENCHES)) && ok;
  if (want('history')) ok = (await runBenches(HISTORY_BENCHES)) && ok;
  if (want('install')) ok = (await runBenches(INSTALL_BENCHES)) && ok;
  return ok ? 0 : 1;
}

process.exitCode = await main();
