/**
 * `bb watch [path]`: publishes `artifact.created`, `artifact.updated` or `artifact.deleted` for each
 * file that changed under the path, by what really happened. The changes of one file within the
 * debounce window are folded into their net effect: created then modified is `created`, created then
 * removed is nothing, removed then re-created is `updated`. Events are facts published without
 * `mandatory` (whoever listens gets them; nobody listening is not an error).
 */
import { stat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { watch as chokidarWatch } from 'chokidar';
import picomatch from 'picomatch';
import { openBus, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, out, warn } from '../support/output.js';

export const DEFAULT_IGNORES = [
  '**/.git/**',
  '**/node_modules/**',
  '**/*.swp',
  '**/*.swx',
  '**/*~',
  '**/.#*',
  '**/4913',
  '**/.DS_Store',
];

export type ArtifactAction = 'created' | 'updated' | 'deleted';
type FsEvent = 'add' | 'change' | 'unlink';

/** The net effect of a file's events within one window, or null when it cancels out. */
export function netAction(events: readonly FsEvent[]): ArtifactAction | null {
  const first = events[0];
  const last = events[events.length - 1];
  if (first === undefined || last === undefined) return null;
  const existedBefore = first !== 'add';
  const existsAfter = last !== 'unlink';
  if (existedBefore && existsAfter) return 'updated';
  if (existsAfter) return 'created';
  if (existedBefore) return 'deleted';
  return null;
}

interface WatchOptions {
  readonly ignore?: string[];
  readonly debounce: number;
  readonly kind: string;
  readonly json?: boolean;
}

export async function watch(
  globals: GlobalOptions,
  path: string | undefined,
  options: WatchOptions,
): Promise<number> {
  const bus = await openBus(globals, 'watch', { mandatory: false });
  try {
    const root = resolve(path ?? bus.config.watchPath);
    const rootStat = await stat(root).catch(() => null);
    if (!rootStat?.isDirectory())
      throw new CliError(
        `${root} is not a directory${path === undefined ? ' (WATCH_PATH, default .wx)' : ''}: create it or pass a path`,
        EXIT.notFound,
      );
    const globs = [...DEFAULT_IGNORES, ...(options.ignore ?? [])];
    const isIgnored = picomatch(globs, { dot: true });
    const ignored = (file: string): boolean => {
      const rel = relative(root, file).split(sep).join('/');
      return rel !== '' && !rel.startsWith('..') && isIgnored(rel);
    };

    const pending = new Map<string, { events: FsEvent[]; timer: NodeJS.Timeout }>();
    let inFlight = Promise.resolve();
    const emit = async (file: string, action: ArtifactAction) => {
      const key = `artifact.${action}`;
      const size = action === 'deleted' ? null : ((await stat(file).catch(() => null))?.size ?? null);
      const payload = {
        action,
        kind: options.kind,
        uri: pathToFileURL(file).href,
        title: basename(file),
        metadata: { path: relative(root, file).split(sep).join('/'), ...(size === null ? {} : { size }) },
      };
      try {
        const receipt = await bus.publisher.publish(key as never, payload as never);
        if (options.json)
          out(JSON.stringify({ action, uri: payload.uri, event_type: key, event_id: receipt.eventId }));
        else out(`${action.padEnd(7)}  ${payload.uri}  ${receipt.eventId}`);
      } catch (error) {
        warn(`cannot publish ${key} for ${file}: ${(error as Error).message}`);
      }
    };
    const onEvent = (event: FsEvent) => (file: string) => {
      const entry = pending.get(file);
      if (entry) clearTimeout(entry.timer);
      const events = [...(entry?.events ?? []), event];
      const timer = setTimeout(() => {
        pending.delete(file);
        const action = netAction(events);
        if (action) inFlight = inFlight.then(() => emit(file, action));
      }, options.debounce);
      pending.set(file, { events, timer });
    };

    const watcher = chokidarWatch(root, { ignored, ignoreInitial: true, persistent: true });
    watcher.on('add', onEvent('add')).on('change', onEvent('change')).on('unlink', onEvent('unlink'));
    const code = await new Promise<number>((done) => {
      watcher.on('error', (error) => {
        warn(`watcher: ${(error as Error).message}`);
      });
      watcher.on('ready', () => info(`watching ${root} (ignoring ${globs.join(', ')}; Ctrl-C to stop)`));
      bus.connection.on('failed', (error) => {
        warn(`RabbitMQ connection gave up: ${error.message}`);
        done(EXIT.unavailable);
      });
      process.once('SIGINT', () => done(EXIT.ok));
      process.once('SIGTERM', () => done(EXIT.ok));
    });
    await watcher.close();
    // Flush what is still waiting for its window, then what is being published.
    for (const [file, entry] of pending) {
      clearTimeout(entry.timer);
      const action = netAction(entry.events);
      if (action) inFlight = inFlight.then(() => emit(file, action));
    }
    await inFlight;
    return code;
  } finally {
    await bus.close();
  }
}
