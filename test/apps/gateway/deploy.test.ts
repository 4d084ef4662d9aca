/**
 * The deployment files: docker-compose.yml validated by Debian's docker-compose (`.ci/run` installs it;
 * without it the test fails and says how to install it), its topology checked; the Dockerfile builds the
 * apps it runs.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../../', import.meta.url);
const file = new URL('docker-compose.yml', root).pathname;
const hasCompose = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].some((p) => existsSync(p));

it('docker-compose -f docker-compose.yml config -q accepts it', async () => {
  if (!hasCompose)
    expect.fail(
      'docker-compose is not installed: apt-get update && apt-get install -y docker-compose (.ci/run does this)',
    );
  await promisify(execFile)('docker-compose', ['-f', file, 'config', '-q'], {
    env: { PATH: process.env['PATH'] ?? '' },
  });
});

it('has the original topology: RabbitMQ 3.10 with management, Redis, gateway on 8682, command processor', () => {
  const compose = parse(readFileSync(file, 'utf8')) as {
    services: Record<
      string,
      {
        image?: string;
        command?: string[];
        ports?: string[];
        environment?: Record<string, string>;
        profiles?: string[];
      }
    >;
  };
  const s = compose.services;
  const byDefault = Object.keys(s).filter((name) => s[name]?.profiles === undefined);
  expect(byDefault.sort()).toEqual(['command-processor', 'gateway', 'rabbitmq', 'redis', 'setup']);
  expect(s['setup']?.command).toEqual(['node', 'apps/dist/apps/cli/main.js', 'setup']);
  // Profile `cluster`: three RabbitMQ 3.10 nodes (README "Running on a cluster").
  const cluster = Object.keys(s).filter((name) => s[name]?.profiles?.includes('cluster'));
  expect(cluster.sort()).toEqual(['rabbit1', 'rabbit2', 'rabbit3']);
  for (const name of cluster) expect(s[name]?.image, name).toBe('rabbitmq:3.10-management');
  expect(s['rabbitmq']?.image).toBe('rabbitmq:3.10-management');
  expect(s['redis']?.image).toMatch(/^redis:/);
  expect(s['gateway']?.ports).toContain('8682:8682');
  expect(s['gateway']?.command).toEqual(['node', 'apps/dist/apps/gateway/main.js']);
  expect(s['command-processor']?.command?.slice(0, 2)).toEqual([
    'node',
    'apps/dist/apps/command-processor/main.js',
  ]);
  for (const cmd of [s['gateway']?.command, s['command-processor']?.command, s['setup']?.command]) {
    const entry = (cmd?.[1] ?? '').replace(/^apps\/dist\//, '').replace(/\.js$/, '.ts');
    expect(existsSync(new URL(entry, root)), entry).toBe(true);
  }
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  expect(dockerfile).toMatch(/^FROM node:20/m);
  expect(dockerfile).toContain('apps/dist/apps/gateway/main.js');
});
