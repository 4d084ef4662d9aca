/**
 * Codegen benchmark (issue 12, "Speed"). In one run, every measurement a fresh process, same inputs:
 *   (a) ours (`node codegen/dist/cli.js`, what `npx bloodbank-codegen` runs; no cache at all:
 *       `BLOODBANK_CODEGEN_CACHE=off` and a new output folder each run) against @asyncapi/modelina's
 *       TypeScript generator (scripts/bench/modelina-generate.mjs: @asyncapi/parser parses and validates
 *       the document, TypeScriptFileGenerator writes the models), runs interleaved, on the shipped
 *       catalogue (asyncapi.yaml), the two foreign fixtures (rpc-service, streetlights), the largest
 *       fixture (versioned: 13 KB over 8 files) and the largest foreign one (springwolf-polymorphic, an
 *       AsyncAPI 2.6 JSON document as Springwolf writes it);
 *   (b) json-schema-to-typescript + ajv on the shipped schema files (scripts/bench/jstt-ajv-generate.mjs),
 *       an information row: it neither reads nor validates the AsyncAPI document;
 *   (c) `--watch`: the watcher on a temporary copy of asyncapi.yaml + schemas/, 10 saved edits to one
 *       schema file, each timed from the write until the watcher reports generated/ rewritten (and the
 *       edit checked in the output);
 *   (d) a synthetic 1,000-event catalogue (scripts/bench/synthetic.ts): cold process, output size;
 *   (e) importing the generated registry + validators under plain `node` (median of 5).
 * Prints a table (measure, ours, compared, ratio = ours ÷ compared, target, pass) with medians, and
 * returns the figures. Wall time is what the targets are about; CPU (user + system, every thread, from
 * /usr/bin/time) is printed beside it because wall time on a shared machine is noisy.
 *
 *   npm run bench -- codegen [--quick] [--profile] [--keep]
 *   npx tsx --conditions=bloodbank-source scripts/bench/codegen.ts [flags above] [--runs N]
 *
 * --quick    documents and --watch only (no synthetic catalogue)
 * --profile  also runs the 1,000-event codegen under `node --cpu-prof` and prints where the time goes
 * --runs N   runs per tool and document (default 5)
 * --keep     keep .bench/codegen-<pid>/ for inspection
 * Temporary files live in .bench/ (git-ignored) and are removed afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeSyntheticCatalogue } from './synthetic.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const IMPORT_RUNS = 5;
const DEFAULT_RUNS = 5;
const WATCH_EDITS = 10;
const MODELINA = join(ROOT, 'scripts', 'bench', 'modelina-generate.mjs');
const JSTT_AJV = join(ROOT, 'scripts', 'bench', 'jstt-ajv-generate.mjs');

/** The documents ours and Modelina both generate from. */
const DOCUMENTS = [
  { name: 'shipped catalogue', slug: 'shipped', input: 'asyncapi.yaml' },
  { name: 'rpc-service', slug: 'rpc-service', input: 'test/fixtures/codegen/rpc-service/asyncapi.yaml' },
  { name: 'streetlights', slug: 'streetlights', input: 'test/fixtures/codegen/streetlights/asyncapi.yaml' },
  {
    name: 'largest fixture (versioned)',
    slug: 'versioned',
    input: 'test/fixtures/codegen/versioned/asyncapi.yaml',
  },
  {
    name: 'largest foreign fixture (springwolf-polymorphic, 2.6 JSON)',
    slug: 'springwolf',
    input: 'test/fixtures/codegen/springwolf-polymorphic/asyncapi.json',
  },
] as const;

export interface CodegenBenchOptions {
  /** Synthetic catalogue sizes (default 1,000; `[]` skips them). */
  readonly sizes?: readonly number[];
  /** Runs per tool and document (default 5). */
  readonly runs?: number;
  /** Profile the largest synthetic run in a child `node --cpu-prof`. */
  readonly profile?: boolean;
  /** Keep the temporary folder. */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

export interface BenchRow {
  readonly measure: string;
  readonly ours: number | null;
  /** What `ours` is compared with (Modelina, the information baseline), when anything. */
  readonly baseline: number | null;
  readonly ratio: number | null;
  /** Human-readable target, e.g. `< 2 s`, or `information`. */
  readonly target: string;
  readonly pass: boolean | null;
  readonly note: string;
}

/** One tool's cold runs on one input. */
export interface ToolFigures {
  readonly wallMs: readonly number[];
  readonly cpuMs: readonly number[];
  readonly medianWallMs: number;
  readonly medianCpuMs: number;
  /** What the last run wrote. */
  readonly files: number;
  readonly bytes: number;
}

export interface DocumentFigures {
  readonly name: string;
  readonly input: string;
  readonly ours: ToolFigures;
  readonly modelina: ToolFigures;
}

export interface ImportFigures {
  readonly medianMs: number;
  readonly runsMs: readonly number[];
  readonly how: string;
}

export interface ProfileFigures {
  readonly wallMs: number;
  /** Self time in ms by category, all threads. */
  readonly byCategory: Readonly<Record<string, number>>;
  /** Self time in ms by category, per thread (thread label → category → ms). */
  readonly byThread: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Inclusive ms of codegen's own phases (main thread). */
  readonly phases: Readonly<Record<string, number>>;
  readonly topFunctions: ReadonlyArray<{ readonly name: string; readonly ms: number }>;
}

export interface CodegenBenchResult {
  readonly environment: {
    readonly node: string;
    readonly cpus: number;
    readonly loadavgStart: readonly number[];
    readonly loadavgEnd: readonly number[];
  };
  readonly documents: readonly DocumentFigures[];
  /** json-schema-to-typescript + ajv on the shipped schemas (information). */
  readonly jsttAjv: ToolFigures | null;
  readonly watchEditsMs: readonly number[];
  readonly synthetic: ReadonlyArray<{
    readonly events: number;
    readonly codegen: ToolFigures;
    readonly import: ImportFigures | null;
  }>;
  readonly imports: { readonly shipped: ImportFigures | null };
  /** Time to build dist/ with tsc when it was stale (null when it was fresh). */
  readonly distBuildMs: number | null;
  readonly profile: ProfileFigures | null;
  readonly rows: readonly BenchRow[];
  readonly totalMs: number;
}

// ---------------------------------------------------------------------------------------------- helpers

interface RunResult {
  readonly ms: number;
  /** User + system CPU of the process and its threads (/usr/bin/time), null when unavailable. */
  readonly cpuMs: number | null;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment for child processes: no inherited loader flags (tsx, conditions); no codegen cache. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BLOODBANK_CODEGEN_CACHE: 'off' };
  delete env['NODE_OPTIONS'];
  return env;
}

const TIME = '/usr/bin/time';
const HAVE_TIME = existsSync(TIME);
const CPU_LINE = /^BENCHCPU (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/m;

function run(command: string, args: readonly string[], cwd = ROOT): RunResult {
  const [cmd, argv] = HAVE_TIME ? [TIME, ['-f', 'BENCHCPU %U %S', command, ...args]] : [command, [...args]];
  const started = performance.now();
  const r = spawnSync(cmd, argv, { cwd, env: childEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (r.error) throw r.error;
  const cpu = CPU_LINE.exec(r.stderr);
  return {
    ms,
    cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : null,
    status: r.status,
    stdout: r.stdout,
    stderr: cpu ? r.stderr.replace(CPU_LINE, '') : r.stderr,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function walkFiles(dir: string, accept: (path: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (accept(p)) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

function sizeOf(dir: string): { files: number; bytes: number } {
  const files = walkFiles(dir, () => true);
  return { files: files.length, bytes: files.reduce((a, f) => a + statSync(f).size, 0) };
}

/** Collects cold runs of one tool. */
class Runs {
  readonly wallMs: number[] = [];
  readonly cpuMs: number[] = [];
  last = { files: 0, bytes: 0 };

  constructor(readonly label: string) {}

  add(r: RunResult, out: string | null): void {
    if (r.status !== 0)
      throw new Error(`${this.label} failed (exit ${r.status}):\n${r.stderr.slice(0, 2000)}`);
    this.wallMs.push(r.ms);
    if (r.cpuMs !== null) this.cpuMs.push(r.cpuMs);
    if (out !== null) this.last = sizeOf(out);
  }

  figures(): ToolFigures {
    return {
      wallMs: this.wallMs,
      cpuMs: this.cpuMs,
      medianWallMs: median(this.wallMs),
      medianCpuMs: this.cpuMs.length > 0 ? median(this.cpuMs) : NaN,
      ...this.last,
    };
  }
}

const kb = (bytes: number): string =>
  bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1000)} KB`;
const list = (ms: readonly number[]): string => ms.map((m) => fmtMs(m)).join(', ');

// --------------------------------------------------------------------------------------------------- watch

/** Lines a child prints: wait for the next one that matches, or forget those not read yet. */
function lineReader(stream: NodeJS.ReadableStream): {
  next(match: RegExp, timeoutMs: number): Promise<string>;
  drain(): void;
} {
  const seen: string[] = [];
  let buffer = '';
  let wake: (() => void) | null = null;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    seen.push(...parts);
    wake?.();
  });
  return {
    drain: () => void seen.splice(0),
    async next(match, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = seen.findIndex((l) => match.test(l));
        if (i !== -1) return seen.splice(0, i + 1).pop() as string;
        if (Date.now() > deadline) throw new Error(`no line matching ${match} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    },
  };
}

const REGENERATED = /^codegen: \d+ routing keys/;

/**
 * `--watch` on a temporary copy of the shipped catalogue. A warm-up save first (not counted; it also
 * shows the watcher is ready). Then `edits` saved edits of one schema file's description, each timed from
 * the write until the first regeneration the watcher reports after which the edit is in generated/.
 */
export async function benchWatch(bin: string, work: string, edits: number): Promise<{ ms: number[] }> {
  const dir = join(work, 'watch');
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'asyncapi.yaml'), join(dir, 'asyncapi.yaml'));
  cpSync(join(ROOT, 'schemas'), join(dir, 'schemas'), { recursive: true });
  const schemaFile = join(dir, 'schemas', 'fireflies', 'transcript.ready.json');
  const original = JSON.parse(readFileSync(schemaFile, 'utf8')) as { description: string };
  const save = (marker: string) =>
    writeFileSync(
      schemaFile,
      `${JSON.stringify({ ...original, description: `${original.description} (${marker})` }, null, 2)}\n`,
    );
  const out = join(dir, 'generated');
  const child = spawn(
    process.execPath,
    [bin, '--watch', '--input', join(dir, 'asyncapi.yaml'), '--out', out],
    {
      cwd: dir,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = lineReader(child.stdout);
  const inOutput = (marker: string) =>
    walkFiles(out, (p) => p.endsWith('.ts')).some((f) => readFileSync(f, 'utf8').includes(marker));
  /** Waits for the first regeneration after which `marker` is in generated/ (earlier ones are late answers). */
  const regenerated = async (marker: string, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    do await lines.next(REGENERATED, Math.max(1, deadline - Date.now()));
    while (!inOutput(marker));
  };
  const ms: number[] = [];
  try {
    await lines.next(/watching/, 180_000);
    for (let attempt = 0; ; attempt++) {
      save(`warm-up ${attempt}`);
      try {
        await regenerated(`warm-up ${attempt}`, 60_000);
        break;
      } catch (error) {
        if (attempt >= 2) throw error;
      }
    }
    for (let i = 1; i <= edits; i++) {
      const marker = `bench edit ${i}`;
      lines.drain();
      const started = performance.now();
      save(marker);
      await regenerated(marker, 120_000);
      ms.push(performance.now() - started);
    }
  } finally {
    child.kill();
  }
  return { ms };
}

// ------------------------------------------------------------------------------------------------ import

const IMPORT_SNIPPET = (specifier: string) =>
  `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`;

function measureImport(registryJs: string, how: string): ImportFigures {
  const runsMs: number[] = [];
  for (let i = 0; i < IMPORT_RUNS; i++) {
    const r = run('node', ['--input-type=module', '-e', IMPORT_SNIPPET(pathToFileURL(registryJs).href)]);
    if (r.status !== 0) throw new Error(`importing ${registryJs} failed:\n${r.stderr.slice(0, 2000)}`);
    runsMs.push(Number(r.stdout.trim().split('\n').pop()));
  }
  return { medianMs: median(runsMs), runsMs, how };
}

/** Newest mtime of the TypeScript sources under `dirs`. */
function newestSource(dirs: readonly string[]): number {
  let newest = 0;
  for (const d of dirs) {
    for (const f of walkFiles(join(ROOT, d), (p) => p.endsWith('.ts')))
      newest = Math.max(newest, statSync(f).mtimeMs);
  }
  return newest;
}

/**
 * The packages' dist/ must hold the runtime (generated code imports bloodbank/codegen-runtime → runtime/dist), the
 * compiled codegen bin and the compiled registry; rebuilt with tsc when missing or older than its sources.
 */
function ensureDist(log: (line: string) => void): { builtMs: number | null } {
  const outputs = [
    join(ROOT, 'runtime', 'dist', 'codegen-runtime.js'),
    join(ROOT, 'codegen', 'dist', 'cli.js'),
    ...(existsSync(join(ROOT, 'generated', 'registry.ts'))
      ? [join(ROOT, 'dist', 'generated', 'registry.js')]
      : []),
  ];
  const oldest = Math.min(...outputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  if (oldest >= newestSource(['runtime', 'codegen', 'generated'])) return { builtMs: null };
  log('  building dist/ (node scripts/build.mjs; dist is missing or older than its sources) …');
  const r = run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')]);
  if (r.status !== 0) {
    // tsc still emits with type errors (other work in progress); only a missing output is fatal.
    log(`  tsc reported errors (exit ${r.status}); using what it emitted:\n${r.stdout.slice(0, 800)}`);
  }
  if (!existsSync(outputs[0] ?? '')) throw new Error('node scripts/build.mjs did not emit runtime/dist');
  log(`  dist/ built in ${fmtMs(r.ms)}`);
  return { builtMs: r.ms };
}

/**
 * Type-strip a generated folder into JavaScript next to it. tsc on the 1,000-event output takes minutes
 * here (several minutes on 2 cores, 35 MB of validators), so the bench uses esbuild (tsx's transformer,
 * with verbatimModuleSyntax like our tsconfig) for the synthetic catalogues: same JavaScript modulo
 * formatting, which is what import time depends on. Falls back to typescript's transpileModule.
 */
async function transpileTree(srcDir: string, outDir: string): Promise<string> {
  const files = walkFiles(srcDir, (p) => p.endsWith('.ts') && !p.endsWith('.d.ts'));
  let transform: (code: string, file: string) => string;
  let how: string;
  try {
    const esbuild = await import('esbuild');
    how = 'esbuild type-strip';
    transform = (code) =>
      esbuild.transformSync(code, {
        loader: 'ts',
        format: 'esm',
        target: 'es2022',
        tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
      }).code;
  } catch {
    const ts = (await import('typescript')).default;
    how = 'typescript transpileModule';
    transform = (code, file) =>
      ts.transpileModule(code, {
        fileName: file,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      }).outputText;
  }
  for (const file of files) {
    const target = join(outDir, relative(srcDir, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, transform(readFileSync(file, 'utf8'), file));
  }
  return how;
}

// ----------------------------------------------------------------------------------------------- profile

const CATEGORY_OF_PACKAGE: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /^(@asyncapi\/|@stoplight\/|immer$|nimma$|jsonpath-plus$|jsonc-parser$|dependency-graph$|urijs$|lodash|ajv-errors$|astring$|@jsep-plugin|jsep$|avsc$|js-yaml$|@openapi-contrib)/,
    'parser',
  ],
  [/^(ts-morph$|@ts-morph\/|code-block-writer$|typescript$)/, 'ts-morph'],
  [/^(ajv$|ajv-formats$|fast-uri$|fast-deep-equal$|json-schema-traverse$|require-from-string$)/, 'ajv'],
  [/^yaml$/, 'yaml'],
  [/^(tsx$|esbuild$|get-tsconfig$)/, 'tsx loader'],
];

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function categorize(url: string, functionName: string): string {
  if (!url)
    return functionName === '(garbage collector)'
      ? 'GC'
      : functionName === '(idle)'
        ? 'idle'
        : 'native/other';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) {
    const pkg = m[1] ?? '';
    for (const [re, cat] of CATEGORY_OF_PACKAGE) if (re.test(pkg)) return cat;
    return `other (${pkg})`;
  }
  if (url.includes('/codegen/')) return 'codegen (own code)';
  if (url.startsWith('node:')) return 'node internals';
  return 'other';
}

const PHASES = [
  'loadModel',
  'startValidation',
  'validateWithParser',
  'generate',
  'compileValidators',
  'makeAjv',
  'checkExamples',
  'rewriteRequires',
  'standaloneCode',
  'createSourceFile',
  'bundleSchema',
  'typeModule',
  'writeFiles',
  'hashInputs',
];

function analyseProfiles(dir: string, wallMs: number): ProfileFigures {
  const byCategory: Record<string, number> = {};
  const byThread: Record<string, Record<string, number>> = {};
  const phases: Record<string, number> = {};
  const fnSelf = new Map<string, number>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const self = new Map<number, number>();
    p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
    // A sample belongs to the parser when any ancestor is parser code (its ajv, GC-free frames included).
    const underParser = new Map<number, boolean>();
    const isUnderParser = (id: number): boolean => {
      const known = underParser.get(id);
      if (known !== undefined) return known;
      const n = byId.get(id);
      const up = parent.get(id);
      const result =
        (n !== undefined && categorize(n.callFrame.url, n.callFrame.functionName) === 'parser') ||
        (up !== undefined && isUnderParser(up));
      underParser.set(id, result);
      return result;
    };
    const thread: Record<string, number> = {};
    for (const [id, ms] of self) {
      const n = byId.get(id);
      if (!n) continue;
      let cat = categorize(n.callFrame.url, n.callFrame.functionName);
      if (cat !== 'GC' && cat !== 'idle' && isUnderParser(id)) cat = 'parser';
      thread[cat] = (thread[cat] ?? 0) + ms;
      if (cat !== 'idle') byCategory[cat] = (byCategory[cat] ?? 0) + ms;
      const fnKey = `${n.callFrame.functionName || '(anonymous)'} (${categorize(n.callFrame.url, n.callFrame.functionName)})`;
      if (cat !== 'idle') fnSelf.set(fnKey, (fnSelf.get(fnKey) ?? 0) + ms);
      // Inclusive phase time: each phase counted once per sample even under recursion.
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const name = byId.get(cur)?.callFrame.functionName ?? '';
        if (PHASES.includes(name) && !seen.has(name)) {
          seen.add(name);
          phases[name] = (phases[name] ?? 0) + ms;
        }
      }
    }
    const busy = Object.entries(thread)
      .filter(([k]) => k !== 'idle')
      .reduce((a, [, v]) => a + v, 0);
    if (busy < 50) continue; // tsx's loader thread and other idle threads
    const top = Object.entries(thread)
      .filter(([k]) => k !== 'idle' && k !== 'GC')
      .sort((a, b) => b[1] - a[1])[0]?.[0];
    let label = top === 'parser' ? 'parser worker' : 'main';
    while (byThread[label]) label += "'";
    byThread[label] = thread;
  }
  const topFunctions = [...fnSelf]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([name, ms]) => ({ name, ms }));
  return { wallMs, byCategory, byThread, phases, topFunctions };
}

function profileCodegen(input: string, workDir: string): ProfileFigures {
  const profDir = join(workDir, 'cpuprofile');
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const r = run('node', [
    '--cpu-prof',
    `--cpu-prof-dir=${profDir}`,
    '--import',
    'tsx',
    '--conditions=bloodbank-source',
    'codegen/cli.ts',
    '--input',
    input,
    '--out',
    join(workDir, 'profiled-out'),
  ]);
  if (r.status !== 0) throw new Error(`profiled codegen failed:\n${r.stderr.slice(0, 2000)}`);
  return analyseProfiles(profDir, r.ms);
}

// ------------------------------------------------------------------------------------------------- table

const fmtMs = (ms: number | null): string =>
  ms === null ? '–' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;

export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['measure', 'ours', 'compared', 'ratio', 'target', 'pass', 'note'];
  const cells = rows.map((r) => [
    r.measure,
    r.measure.startsWith('growth') ? (r.ours === null ? '–' : `${r.ours.toFixed(2)}×`) : fmtMs(r.ours),
    fmtMs(r.baseline),
    r.ratio === null ? '–' : r.ratio.toFixed(2),
    r.target,
    r.pass === null ? '–' : r.pass ? 'pass' : 'FAIL',
    r.note,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => (row[c] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) =>
        c === 1 || c === 2 || c === 3 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0),
      )
      .join(' │ ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...cells.map(line)].join('\n');
}

function formatProfile(p: ProfileFigures): string {
  const lines = [
    `profile of the largest synthetic run (node --cpu-prof, wall ${fmtMs(p.wallMs)}), self time:`,
  ];
  const total = Object.values(p.byCategory).reduce((a, b) => a + b, 0);
  for (const [cat, ms] of Object.entries(p.byCategory).sort((a, b) => b[1] - a[1])) {
    if (ms < total * 0.005) continue;
    lines.push(
      `  ${cat.padEnd(22)} ${fmtMs(ms).padStart(8)}  ${((ms / total) * 100).toFixed(1).padStart(5)} %`,
    );
  }
  for (const [thread, cats] of Object.entries(p.byThread)) {
    const parts = Object.entries(cats)
      .filter(([, ms]) => ms >= 100)
      .sort((a, b) => b[1] - a[1])
      .map(([c, ms]) => `${c} ${fmtMs(ms)}`);
    lines.push(`  thread ${thread}: ${parts.join(', ')}`);
  }
  lines.push(
    `  codegen phases (inclusive, main thread): ${Object.entries(p.phases)
      .sort((a, b) => b[1] - a[1])
      .map(([k, ms]) => `${k} ${fmtMs(ms)}`)
      .join(', ')}`,
  );
  lines.push(`  top functions (self): ${p.topFunctions.map((f) => `${f.name} ${fmtMs(f.ms)}`).join(', ')}`);
  return lines.join('\n');
}
// --------------------------------------------------------------------------------------------------- main

export async function benchCodegen(options: CodegenBenchOptions = {}): Promise<CodegenBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sizes = [...(options.sizes ?? [1000])].sort((a, b) => a - b);
  const runs = Math.max(1, options.runs ?? DEFAULT_RUNS);
  const benchStarted = performance.now();
  const loadavgStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const work = join(ROOT, '.bench', `codegen-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(
    `codegen bench: node ${process.version}, ${cpus().length} CPUs, load average ${loadavgStart.join(' ')}; ${runs} runs per tool and document; temp ${relative(ROOT, work)}`,
  );

  const rows: BenchRow[] = [];
  const row = (r: Omit<BenchRow, 'ratio'> & { ratio?: number | null }) => {
    const full: BenchRow = {
      ...r,
      ratio:
        r.ratio ?? (r.ours !== null && r.baseline !== null && r.baseline > 0 ? r.ours / r.baseline : null),
    };
    rows.push(full);
    log(
      `  · ${full.measure}: ${fmtMs(full.ours)}${full.baseline !== null ? ` (compared ${fmtMs(full.baseline)})` : ''}`,
    );
  };

  try {
    const dist = ensureDist(log);
    const bin = join(ROOT, 'codegen', 'dist', 'cli.js');

    // ---- (a) ours vs Modelina, (b) json-schema-to-typescript + ajv: fresh processes, runs interleaved
    const documents: DocumentFigures[] = [];
    let jsttAjv: ToolFigures | null = null;
    for (const doc of DOCUMENTS) {
      const ours = new Runs(`codegen of ${doc.input}`);
      const modelina = new Runs(`Modelina on ${doc.input}`);
      const baseline = doc.input === 'asyncapi.yaml' ? new Runs('json-schema-to-typescript + ajv') : null;
      for (let i = 0; i < runs; i++) {
        const oursOut = join(work, `${doc.slug}-ours-${i}`);
        ours.add(run(process.execPath, [bin, '--input', doc.input, '--out', oursOut]), oursOut);
        const modelinaOut = join(work, `${doc.slug}-modelina-${i}`);
        modelina.add(run(process.execPath, [MODELINA, doc.input, modelinaOut]), modelinaOut);
        if (baseline) baseline.add(run(process.execPath, [JSTT_AJV, join(ROOT, 'schemas')]), null);
      }
      const o = ours.figures();
      const m = modelina.figures();
      documents.push({ name: doc.name, input: doc.input, ours: o, modelina: m });
      row({
        measure: `${doc.name}: ours vs Modelina, cold process`,
        ours: o.medianWallMs,
        baseline: m.medianWallMs,
        target: 'ratio ≤ 1.00',
        pass: o.medianWallMs <= m.medianWallMs,
        note: `CPU ${fmtMs(o.medianCpuMs)} vs ${fmtMs(m.medianCpuMs)}; output ${o.files} files ${kb(o.bytes)} vs ${m.files} files ${kb(m.bytes)}; runs ${list(o.wallMs)} | ${list(m.wallMs)}`,
      });
      if (doc.input === 'asyncapi.yaml') {
        row({
          measure: 'shipped catalogue, cold, no cache',
          ours: o.medianWallMs,
          baseline: null,
          target: '< 2 s',
          pass: o.medianWallMs < 2000,
          note: `node codegen/dist/cli.js, BLOODBANK_CODEGEN_CACHE=off, new output folder each run; CPU ${fmtMs(o.medianCpuMs)}`,
        });
      }
      if (baseline) {
        jsttAjv = baseline.figures();
        row({
          measure: 'shipped schemas: ours vs json-schema-to-typescript + ajv',
          ours: o.medianWallMs,
          baseline: jsttAjv.medianWallMs,
          target: 'information',
          pass: null,
          note: `CPU ${fmtMs(o.medianCpuMs)} vs ${fmtMs(jsttAjv.medianCpuMs)}; the baseline compiles each payload schema, without reading or validating the AsyncAPI document; runs ${list(jsttAjv.wallMs)}`,
        });
      }
    }

    // ---- (c) --watch
    const watch = await benchWatch(bin, work, WATCH_EDITS);
    row({
      measure: `--watch: saved schema edit → generated/ (median of ${watch.ms.length})`,
      ours: median(watch.ms),
      baseline: null,
      target: '< 300 ms',
      pass: median(watch.ms) < 300,
      note: `edits ${list(watch.ms)}; each until the edit is in generated/; includes the CLI's 100 ms debounce`,
    });

    // ---- (d) synthetic catalogues
    const synthetic: Array<{ events: number; codegen: ToolFigures; import: ImportFigures | null }> = [];
    for (const n of sizes) {
      const dir = join(work, `syn${n}`);
      const cat = writeSyntheticCatalogue(dir, n);
      const runsN = new Runs(`codegen of the ${n}-event catalogue`);
      runsN.add(
        run(process.execPath, [bin, '--input', cat.input, '--out', join(dir, 'generated')]),
        join(dir, 'generated'),
      );
      const figures = runsN.figures();
      synthetic.push({ events: n, codegen: figures, import: null });
      row({
        measure: `synthetic ${n} events (${cat.commands} commands), cold process`,
        ours: figures.medianWallMs,
        baseline: null,
        target: n >= 1000 ? '< 15 s' : 'information',
        pass: n >= 1000 ? figures.medianWallMs < 15_000 : null,
        note: `CPU ${fmtMs(figures.medianCpuMs)}; ${(figures.medianWallMs / n).toFixed(1)} ms/event`,
      });
      row({
        measure: `synthetic ${n} events: generated output`,
        ours: null,
        baseline: null,
        target: n >= 1000 ? '< 10 MB' : 'information',
        pass: n >= 1000 ? figures.bytes < 10e6 : null,
        note: `${kb(figures.bytes)} in ${figures.files} files`,
      });
    }

    // ---- (e) import time
    let shippedImport: ImportFigures | null = null;
    const distRegistry = join(ROOT, 'dist', 'generated', 'registry.js');
    if (existsSync(distRegistry)) {
      shippedImport = measureImport(distRegistry, 'dist/generated/registry.js (tsc)');
      row({
        measure: 'import shipped registry + validators',
        ours: shippedImport.medianMs,
        baseline: null,
        target: '< 100 ms',
        pass: shippedImport.medianMs < 100,
        note: `median of ${IMPORT_RUNS} node processes (${shippedImport.runsMs.map((m) => Math.round(m)).join(', ')})`,
      });
    }
    for (const s of synthetic) {
      const dir = join(work, `syn${s.events}`);
      const how = await transpileTree(join(dir, 'generated'), join(dir, 'dist', 'generated'));
      const figures = measureImport(join(dir, 'dist', 'generated', 'registry.js'), how);
      s.import = figures;
      row({
        measure: `import synthetic ${s.events} registry + validators`,
        ours: figures.medianMs,
        baseline: null,
        target: 'information',
        pass: null,
        note: `median of ${IMPORT_RUNS} (${figures.runsMs.map((m) => Math.round(m)).join(', ')}); ${how}; ${kb(sizeOf(join(dir, 'dist', 'generated')).bytes)} of JS`,
      });
    }

    // ---- profile (opt-in)
    let profile: ProfileFigures | null = null;
    const largest = sizes[sizes.length - 1];
    if (options.profile && largest !== undefined) {
      log(`  profiling codegen of the ${largest}-event catalogue …`);
      profile = profileCodegen(join(work, `syn${largest}`, 'asyncapi.yaml'), work);
    }

    const totalMs = performance.now() - benchStarted;
    const result: CodegenBenchResult = {
      environment: {
        node: process.version,
        cpus: cpus().length,
        loadavgStart,
        loadavgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
      },
      documents,
      jsttAjv,
      watchEditsMs: watch.ms,
      synthetic,
      imports: { shipped: shippedImport },
      distBuildMs: dist.builtMs,
      profile,
      rows,
      totalMs,
    };
    log('');
    log(formatTable(rows));
    if (profile) log(`\n${formatProfile(profile)}`);
    log(
      `\nbench took ${fmtMs(totalMs)}; load average ${result.environment.loadavgStart.join(' ')} → ${result.environment.loadavgEnd.join(' ')} (wall times on a shared 2-core machine are noisy; CPU is process-wide, every thread)`,
    );
    return result;
  } finally {
    if (options.keep) log(`  kept ${relative(ROOT, work)}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  await benchCodegen({
    ...(args.includes('--quick') ? { sizes: [] } : {}),
    ...(runsAt !== -1 ? { runs: Number(args[runsAt + 1]) } : {}),
    profile: args.includes('--profile'),
    keep: args.includes('--keep'),
  });
}
