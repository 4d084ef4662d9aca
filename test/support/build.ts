import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

/** Make sure dist/ holds a build at least as new as generated/ and runtime/ (tests that run plain `node`). */
export function ensureBuild(): void {
  const built = 'dist/generated/validators/publish.js';
  const sources = [
    'generated/validators/publish.ts',
    'generated/registry.ts',
    'runtime/codegen-runtime.ts',
    'runtime/validation.ts',
  ];
  const stale =
    !existsSync(built) ||
    sources.some((s) => statSync(s).mtimeMs > statSync(built).mtimeMs) ||
    !existsSync('dist/apps/cli/main.js');
  if (stale) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
