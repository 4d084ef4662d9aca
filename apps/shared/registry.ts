/**
 * Which registry an app serves: this repository's generated one by default, or another module named by
 * `--registry <module>` / `BLOODBANK_REGISTRY` (a path or package exporting `registry`).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registryFromEnv } from 'bloodbank/config.js';
import type { Registry } from 'bloodbank/registry.js';
import type { BloodbankCatalog } from '../../generated/catalog.js';

export type AppRegistry = Registry<BloodbankCatalog>;

export async function loadRegistry(module?: string): Promise<AppRegistry> {
  const spec = module ?? registryFromEnv();
  if (!spec) return (await import('../../generated/registry.js')).registry;
  const target = spec.startsWith('.') || spec.startsWith('/') ? pathToFileURL(resolve(spec)).href : spec;
  let mod: { registry?: unknown; default?: { registry?: unknown } };
  try {
    mod = (await import(target)) as typeof mod;
  } catch (cause) {
    throw new Error(`cannot load the registry module ${spec}: ${(cause as Error).message}`, { cause });
  }
  const registry = mod.registry ?? mod.default?.registry;
  if (!registry || typeof (registry as { list?: unknown }).list !== 'function') {
    throw new Error(
      `the module ${spec} does not export a registry (expected \`export const registry\` from generated code)`,
    );
  }
  return registry as AppRegistry;
}
