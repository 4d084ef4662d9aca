/**
 * Issue 13, outside in: the three packages as a user gets them. Packs bloodbank, bloodbank-codegen and
 * bloodbank-apps, creates a new repository in a temp folder outside this tree, and runs there the README's
 * "Use it in your own service" commands, line by line, with its files verbatim: install the tarballs (from
 * npm's cache), `npx bloodbank-codegen` on a two-event document of its own, `tsc` (strict), a service that
 * publishes and consumes through the real RabbitMQ with Redis tracking (on an exchange of its own, removed
 * afterwards), the in-memory bus in that repository's own vitest, and `bb` on its registry. Telemetry:
 * the runtime installs without Scarf at all; with codegen, Scarf's postinstall runs (pointed at a local
 * server by SCARF_LOCAL_PORT) and must send nothing, because our packages opt out.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_DELAYS_MS, queueNames } from '../../runtime/index.js';
import {
  cleanEnv,
  installFromCache,
  installedPackages,
  PACKAGES,
  packAll,
  run,
  type PackageFolder,
} from '../../scripts/packages.js';

const README = readFileSync('README.md', 'utf8');
const TEMPLATE = 'test/packages/outside-in';
const FILES = ['asyncapi.yaml', 'tsconfig.json', 'src/service.ts', 'test/orders.spec.ts'];
const RABBIT_URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SERVICES = ['warehouse', 'mailer'];

/** The README section's blocks, `<!-- outside-in: name -->` followed by a fenced block. */
function readmeBlocks(): Map<string, string> {
  const re = /<!-- outside-in: (\S+) -->\n+```\w+\n([\s\S]*?)```/g;
  return new Map([...README.matchAll(re)].map((m) => [m[1] as string, m[2] as string]));
}
const COMMANDS = (readmeBlocks().get('commands') ?? '').split('\n').filter((line) => line.trim() !== '');

describe('the packages, installed in a repository outside this tree (README "Use it in your own service")', () => {
  const exchange = `bbtest.outside.${randomUUID().slice(0, 8)}`;
  let work: string;
  let project: string;
  let tarballs: Record<PackageFolder, string>;
  let scarf: Server;
  let scarfPort = 0;
  const scarfRequests: string[] = [];
  const eventIds: string[] = [];

  const env = (extra: Record<string, string> = {}) =>
    cleanEnv({
      RABBIT_URL,
      REDIS_URL,
      EXCHANGE_NAME: exchange,
      SCARF_LOCAL_PORT: String(scarfPort),
      SCARF_VERBOSE: 'true',
      ...extra,
    });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'bb-outside-'));
    project = join(work, 'orders-service');
    mkdirSync(project);
    tarballs = packAll(work);
    // Scarf reports to http://localhost:$SCARF_LOCAL_PORT when that is set: this server sees any report.
    scarf = createServer((req, res) => {
      scarfRequests.push(`${req.method} ${req.url}`);
      res.end();
    });
    await new Promise<void>((resolve) => scarf.listen(0, '127.0.0.1', resolve));
    scarfPort = (scarf.address() as { port: number }).port;
  }, 900_000);

  afterAll(async () => {
    scarf?.close();
    scarf?.closeAllConnections();
    const conn = await amqp.connect(RABBIT_URL);
    const ch = await conn.createChannel();
    for (const service of SERVICES) {
      const names = queueNames(exchange, service);
      for (const q of [names.main, names.dlq, ...DEFAULT_RETRY_DELAYS_MS.map(names.retry)])
        await ch.deleteQueue(q).catch(() => undefined);
    }
    await ch.deleteExchange(exchange).catch(() => undefined);
    await conn.close();
    const redis = new Redis(REDIS_URL);
    // The correlation records (runtime/redis/correlation-tracker.ts: <prefix>:forward|reverse:<id>).
    for (const id of eventIds)
      await redis.del(`bloodbank:correlation:forward:${id}`, `bloodbank:correlation:reverse:${id}`);
    redis.disconnect();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('the README section shows the project files verbatim', () => {
    const blocks = readmeBlocks();
    expect([...blocks.keys()].sort()).toEqual(['commands', ...FILES].sort());
    for (const file of FILES) {
      expect(blocks.get(file), file).toBe(readFileSync(join(TEMPLATE, file), 'utf8'));
      mkdirSync(dirname(join(project, file)), { recursive: true });
      copyFileSync(join(TEMPLATE, file), join(project, file));
    }
    expect(COMMANDS[0]).toMatch(/^npm init/);
  });

  it('each tarball is a publishable package: files, exports, types, engines, license, README, Scarf off', () => {
    for (const [folder, name] of Object.entries(PACKAGES) as Array<[PackageFolder, string]>) {
      const list = run('tar', ['-tzf', tarballs[folder]], work).stdout.split('\n').filter(Boolean);
      const manifest = JSON.parse(
        run('tar', ['-xzOf', tarballs[folder], 'package/package.json'], work).stdout,
      ) as {
        name: string;
        private?: boolean;
        license?: string;
        engines?: { node?: string };
        exports?: unknown;
        scarfSettings?: { enabled?: boolean };
        scripts?: Record<string, string>;
      };
      expect(manifest.name).toBe(name);
      expect(manifest.private, name).toBeUndefined();
      expect(manifest.license, name).toBe('MIT');
      expect(manifest.engines?.node, name).toBe('>=20.11');
      expect(manifest.exports, name).toBeDefined();
      expect(manifest.scarfSettings, name).toEqual({ enabled: false });
      // No install scripts of our own.
      expect(
        Object.keys(manifest.scripts ?? {}).filter((s) => /install/.test(s)),
        name,
      ).toEqual([]);
      expect(list, name).toEqual(expect.arrayContaining(['package/README.md', 'package/LICENSE']));
      // Compiled JavaScript and declarations only: no TypeScript sources, maps or tests.
      const sources = list.filter((f) => /\.(tsx?|map)$/.test(f) && !f.endsWith('.d.ts'));
      expect(sources, name).toEqual([]);
    }
  });

  // Each README command, in order, in the new repository. `npm install <our package>` installs our tarball.
  for (const line of COMMANDS) {
    it(`$ ${line}`, async () => {
      expect(existsSync(join(project, 'asyncapi.yaml')), 'the project files are written first').toBe(true);
      if (line.startsWith('npm install')) {
        const words = line.split(/\s+/).slice(2);
        const ours: Record<string, string> = Object.fromEntries(
          (Object.entries(PACKAGES) as Array<[PackageFolder, string]>).map(([folder, name]) => [
            name,
            tarballs[folder],
          ]),
        );
        const specs = words.filter((w) => !w.startsWith('-')).map((w) => ours[w] ?? w);
        const flags = [...words.filter((w) => w.startsWith('-')), '--foreground-scripts'];
        const r = installFromCache(project, specs, flags, env());
        if (!r.offline)
          console.log(`${line}: not everything was in npm's cache; fetched the rest from the registry`);
        // Everything installed runs on this Node (bloodbank-apps pins light-my-request, whose newer cookie needs 22).
        expect(r.stdout + r.stderr).not.toContain('EBADENGINE');
        const installed = installedPackages(join(project, 'node_modules'));
        const names = installed.map((p) => p.replace(/@[^@]*$/, ''));
        if (words.includes('bloodbank') && !words.includes('bloodbank-codegen')) {
          // The runtime alone: nothing for codegen, HTTP or terminals, and no Scarf at all.
          for (const heavy of [
            '@scarf/scarf',
            '@asyncapi/parser',
            'ts-morph',
            'typescript',
            'fastify',
            'ink',
            'react',
          ])
            expect(names, heavy).not.toContain(heavy);
          expect(installed.length).toBeLessThanOrEqual(40);
        }
        // Scarf's postinstall ran with SCARF_LOCAL_PORT pointing here: it sent nothing.
        expect(scarfRequests).toEqual([]);
        if (names.includes('@scarf/scarf')) {
          // It ran (--foreground-scripts, SCARF_VERBOSE) and stopped at our opt-out — or at its `npm ls`, which
          // has a 3 s timeout a busy machine can miss.
          expect(r.stdout + r.stderr).toMatch(
            // Every one of Scarf's exits that sends nothing (report.js); which one depends on npm's `ls`.
            /Scarf has been disabled via a package\.json in the dependency chain|Scarf received an error from npm -ls|No Scarf parent package found|Couldn't find dependency info|No parent found, nothing to report|is the root package being installed, but Scarf is not configured to run/,
          );
          // So that the opt-out is proven either way: Scarf's own decision, fed the tree its `npm ls` reads during
          // an install. (After the install, npm ls reads node_modules/.package-lock.json, which keeps no
          // scarfSettings; without it npm reads every package.json, as during the install.)
          rmSync(join(project, 'node_modules/.package-lock.json'), { force: true });
          const tree = run('npm', ['ls', '@scarf/scarf', '--json', '--long'], project, env());
          const require = createRequire(join(project, 'package.json'));
          const report = require('@scarf/scarf/report.js') as {
            processDependencyTreeOutput: (
              resolve: (v: unknown) => void,
              reject: (e: Error) => void,
            ) => (error: Error | null, stdout: string, stderr: string) => void;
          };
          const decision = await new Promise<string>((resolve) =>
            report.processDependencyTreeOutput(
              () => resolve('would report'),
              (e) => resolve(e.message),
            )(null, tree.stdout, tree.stderr),
          );
          expect(decision).toBe('Scarf has been disabled via a package.json in the dependency chain.');
        }
        return;
      }
      // npx must use what is installed, never fetch a package.
      const r = run('bash', ['-c', line], project, env({ npm_config_offline: 'true' }));
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      if (line.startsWith('npx bloodbank-codegen'))
        expect(existsSync(join(project, 'src/generated/index.ts'))).toBe(true);
      if (line.startsWith('node dist/service.js')) {
        const last = r.stdout.trim().split('\n').at(-1) ?? '';
        const result = JSON.parse(last) as {
          placed: string;
          shipped: string;
          mailed: string;
          parents: string[];
        };
        eventIds.push(result.placed, result.shipped);
        expect(result.mailed).toBe('o-1');
        expect(result.parents).toEqual([result.placed]); // tracked in Redis
      }
      if (line.startsWith('npx vitest')) expect(r.stdout).toMatch(/1 passed/);
      if (line.startsWith('npx bb '))
        expect(r.stdout).toMatch(
          /shop\.order\.placed[\s\S]*shop\.order\.shipped|shop\.order\.shipped[\s\S]*shop\.order\.placed/,
        );
    }, 600_000);
  }
});
