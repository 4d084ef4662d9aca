/**
 * `bb tui`: the event workbench. Composition root of the TUI: loads the registry, opens the live feed and
 * (in the background) a publishing Bloodbank, and draws the App on the terminal's alternate screen.
 */
import { hostname } from 'node:os';
import { render } from 'ink';
import { redactUrl } from 'bloodbank/amqp/connection.js';
import type { Bloodbank } from 'bloodbank/bloodbank.js';
import { connectBloodbank } from 'bloodbank/bloodbank.js';
import { loadConfig } from 'bloodbank/config.js';
import type { BloodbankCatalog } from '../../../generated/catalog.js';
import { generateMock } from '../../shared/mock.js';
import { loadRegistry } from '../../shared/registry.js';
import { App, type WorkbenchServices } from './app.js';
import { isTopicPattern, openLiveFeed, type LiveEvent, type LiveFeed, type LiveStatus } from './live.js';
import { loadMockFile, saveMockFile } from './mock-files.js';

export interface TuiOptions {
  /** A module exporting `registry` (as `bb --registry`); default this repository's generated registry. */
  readonly registryModule?: string;
  /** Topic pattern of the live pane (default `#`, everything). */
  readonly pattern?: string;
}

interface LiveListener {
  onEvent(event: LiveEvent): void;
  onStatus(status: LiveStatus, detail?: string): void;
}

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';

/**
 * Run the workbench until the user quits (q or Ctrl+C). Resolves once the screen is restored and every
 * connection the TUI opened is closed; rejects before drawing anything when the terminal is not a TTY,
 * the pattern is not a topic pattern, or the registry or configuration cannot be loaded.
 */
export async function runTui(options: TuiOptions = {}): Promise<void> {
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    throw new Error('bb tui needs an interactive terminal (stdin and stdout must be a TTY)');
  const pattern = options.pattern ?? '#';
  if (!isTopicPattern(pattern))
    throw new Error(`--pattern ${pattern} is not a topic pattern (words, * or #, separated by dots)`);
  const registry = await loadRegistry(options.registryModule);
  const config = loadConfig();

  const listeners = new Set<LiveListener>();
  let lastStatus: { status: LiveStatus; detail?: string } = { status: 'connecting' };
  const feed: Promise<LiveFeed | null> = openLiveFeed({
    url: config.rabbitUrl,
    exchange: config.exchangeName,
    pattern,
    onEvent: (event) => listeners.forEach((l) => l.onEvent(event)),
    onStatus: (status, detail) => {
      lastStatus = detail === undefined ? { status } : { status, detail };
      listeners.forEach((l) => l.onStatus(status, detail));
    },
  }).catch((error: Error) => {
    lastStatus = { status: 'disconnected', detail: error.message };
    listeners.forEach((l) => l.onStatus('disconnected', error.message));
    return null;
  });

  // Publishing needs its own confirmed connection; open it now so the first publish is quick.
  const bloodbank: Promise<Bloodbank<BloodbankCatalog>> = connectBloodbank({
    registry,
    config,
    name: 'bb-tui',
    consume: false,
    source: { host: hostname(), type: 'manual', app: 'bb-tui' },
  });
  bloodbank.catch(() => {});

  const services: WorkbenchServices = {
    registry,
    target: `${config.exchangeName} @ ${redactUrl(config.rabbitUrl).replace(/\/$/, '')}`,
    initialPattern: pattern,
    async publish(key, payload) {
      const bb = await bloodbank;
      const send = bb.publish as (k: string, p: unknown) => Promise<{ eventId: string }>;
      return send(key, payload);
    },
    mock: (definition, seed) => generateMock(definition.schema, { seed }),
    loadFile: loadMockFile,
    saveFile: saveMockFile,
    watchLive(listener) {
      listeners.add(listener);
      listener.onStatus(lastStatus.status, lastStatus.detail);
      return () => listeners.delete(listener);
    },
    async setPattern(next) {
      const f = await feed;
      if (!f) throw new Error('the live feed is not connected');
      await f.setPattern(next);
    },
    async close() {
      await Promise.allSettled([feed.then((f) => f?.close()), bloodbank.then((bb) => bb.close())]);
    },
  };

  process.stdout.write(ALT_SCREEN_ON);
  try {
    const instance = render(<App services={services} />, { exitOnCtrlC: false, patchConsole: true });
    await instance.waitUntilExit();
  } finally {
    process.stdout.write(ALT_SCREEN_OFF);
    // Quitting with Ctrl+C before connections were up: do not leave sockets holding the process open.
    await Promise.race([services.close(), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
  }
}
