/**
 * Mock files, named as the original TUI named them (`<routing key with . → _>_Mock.json`, in the current
 * directory), so mocks saved by either tool load in the other.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export function mockFileName(key: string): string {
  return `${key.replace(/\./g, '_')}_Mock.json`;
}

/** Read a mock file's text (line endings normalised). */
export async function loadMockFile(path: string): Promise<string> {
  const text = await readFile(resolve(path), 'utf8');
  return text.replace(/\r\n?/g, '\n').replace(/\n$/, '');
}

/** Write the editor's text, with a final newline. */
export async function saveMockFile(path: string, text: string): Promise<string> {
  const absolute = resolve(path);
  await writeFile(absolute, text.endsWith('\n') ? text : `${text}\n`);
  return absolute;
}
