import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';

/** Make sure dist/ holds a build at least as new as generated/, runtime/ and codegen/ (tests that run plain `node`). */
export function ensureBuild(): void {
  const built = 'dist/generated/validators/index.js';
  const sources = [
    'generated/validators/index.ts',
    'generated/validators/envelope/publish.ts',
    'generated/registry.ts',
    'runtime/codegen-runtime.ts',
    'runtime/validation.ts',
  ];
  const codegenBuilt = 'codegen/dist/cli.js';
  const codegenSources = ['codegen', 'codegen/emit'].flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `${dir}/${f}`),
  );
  const stale =
    !existsSync(built) ||
    sources.some((s) => statSync(s).mtimeMs > statSync(built).mtimeMs) ||
    !existsSync('apps/dist/apps/cli/main.js') ||
    !existsSync(codegenBuilt) ||
    codegenSources.some((s) => statSync(s).mtimeMs > statSync(codegenBuilt).mtimeMs);
  if (stale) execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
