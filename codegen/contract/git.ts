/** `--against <git ref>`: the document and its schema files as they were at a commit, in a temp folder. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { CodegenError } from 'bloodbank/errors/codegen-error.js';

export interface CheckedOut {
  /** The document's path inside the temp folder. */
  readonly input: string;
  /** Remove the temp folder. */
  cleanup(): void;
}

function git(cwd: string, args: readonly string[]): { ok: boolean; out: Buffer; err: string } {
  const r = spawnSync('git', ['-C', cwd, ...args], { maxBuffer: 1 << 30 });
  return {
    ok: r.status === 0,
    out: r.stdout ?? Buffer.alloc(0),
    err: String(r.stderr ?? r.error ?? '').trim(),
  };
}

/**
 * Extract the folder holding `input` (the document, `schemas/` and anything else its `$ref`s reach) as it
 * was at `ref`, with `git archive`.
 */
export function checkoutAt(input: string, ref: string): CheckedOut {
  const abs = resolve(input);
  const dir = dirname(abs);
  const top = git(dir, ['rev-parse', '--show-toplevel']);
  if (!top.ok)
    throw new CodegenError(input, '', `--against ${ref}: ${dir} is not inside a git repository (${top.err})`);
  const root = top.out.toString('utf8').trim();
  const rel = relative(root, dir).split('\\').join('/');
  const commit = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!commit.ok) throw new CodegenError(input, '', `--against ${ref}: no such commit in ${root}`);
  const archive = git(root, [
    'archive',
    '--format=tar',
    commit.out.toString('utf8').trim(),
    '--',
    rel || '.',
  ]);
  if (!archive.ok) throw new CodegenError(input, '', `--against ${ref}: git archive failed: ${archive.err}`);
  const tmp = mkdtempSync(join(tmpdir(), 'bloodbank-contract-'));
  const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
  const untar = spawnSync('tar', ['-x', '-C', tmp], { input: archive.out, maxBuffer: 1 << 30 });
  if (untar.status !== 0) {
    cleanup();
    throw new CodegenError(
      input,
      '',
      `--against ${ref}: could not extract the archive: ${String(untar.stderr)}`,
    );
  }
  const old = join(tmp, rel, basename(abs));
  if (!existsSync(old)) {
    cleanup();
    throw new CodegenError(
      input,
      '',
      `--against ${ref}: ${join(rel, basename(abs))} does not exist at ${ref}`,
    );
  }
  return { input: old, cleanup };
}
