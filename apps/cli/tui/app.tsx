/**
 * The workbench screen: event tree (left), payload editor or schema viewer (right), live events
 * (bottom), a status line and the keys of the focused pane. Everything is drawn to fit the terminal
 * (80×24 and up) and redrawn on resize. Services (publish, live feed, mocks, files) come in as props.
 */
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';
import type { EventDefinition, Registry } from 'bloodbank/registry.js';
import { bufferFromText, bufferText, scrollTop, type TextBuffer } from './editor.js';
import { onKey, select, type KeyAction } from './keys.js';
import type { LiveEvent, LiveStatus } from './live.js';
import { mockFileName } from './mock-files.js';
import { clamp, initialModel, type Model } from './model.js';
import { checkPayload, pretty, type PayloadCheck } from './payload.js';
import { schemaRows } from './schema-rows.js';
import { ancestorsOf, buildTree, visibleRows } from './tree.js';
import {
  bottomLines,
  editorLines,
  fit,
  helpLines,
  hintsFor,
  liveLines,
  Pane,
  schemaLines,
  treeLines,
  type Focus,
  type Tone,
} from './views.js';

/** What the workbench reads of a registry. */
export type WorkbenchRegistry = Pick<Registry, 'list' | 'get'>;

export interface WorkbenchServices {
  readonly registry: WorkbenchRegistry;
  /** `bloodbank.events.v1 @ amqp://localhost:5672` (credentials removed). */
  readonly target: string;
  readonly initialPattern: string;
  publish(key: string, payload: unknown): Promise<{ readonly eventId: string }>;
  mock(definition: EventDefinition, seed: number): unknown;
  loadFile(path: string): Promise<string>;
  /** Resolves with the absolute path written. */
  saveFile(path: string, text: string): Promise<string>;
  /** Subscribe to the live feed; returns the unsubscribe function. */
  watchLive(listener: {
    onEvent(event: LiveEvent): void;
    onStatus(status: LiveStatus, detail?: string): void;
  }): () => void;
  setPattern(pattern: string): Promise<void>;
  /** Close connections; called once when the user quits. */
  close(): Promise<void>;
}

const MAX_LIVE = 500;
const MIN_COLUMNS = 60;
const MIN_ROWS = 16;

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function initialText(definition: EventDefinition): string {
  const example = definition.examples[0];
  return pretty(example ?? {});
}

interface Layout {
  readonly treeWidth: number;
  readonly rightWidth: number;
  readonly liveHeight: number;
  readonly mainHeight: number;
  readonly treeInner: { readonly width: number; readonly height: number };
  readonly rightInner: { readonly width: number; readonly height: number };
}

function layoutFor(columns: number, rows: number): Layout {
  const treeWidth = clamp(Math.floor(columns * 0.3), 20, 34);
  const rightWidth = columns - treeWidth;
  const liveHeight = rows >= 30 ? clamp(Math.floor(rows * 0.3), 7, 14) : 7;
  const mainHeight = rows - 3 - liveHeight;
  return {
    treeWidth,
    rightWidth,
    liveHeight,
    mainHeight,
    treeInner: { width: treeWidth - 2, height: mainHeight - 3 },
    rightInner: { width: rightWidth - 2, height: mainHeight - 2 },
  };
}

function issueLinesOf(check: PayloadCheck | null, key: string): { text: string; tone: Tone }[] {
  if (!check) return [];
  if (check.state === 'valid') return [{ text: `✓ valid ${key} payload`, tone: 'ok' }];
  if (check.state === 'syntax')
    return [
      { text: `✗ JSON line ${check.line + 1} col ${check.column + 1}: ${check.message}`, tone: 'error' },
    ];
  const shown = check.issues.length > 3 ? check.issues.slice(0, 2) : check.issues;
  const out = shown.map((i) => ({
    text: `✗ ${i.pointer || '(payload)'} ${i.message} (line ${i.line + 1})`,
    tone: 'error' as Tone,
  }));
  if (check.issues.length > 3) out.push({ text: `✗ … and ${check.issues.length - 2} more`, tone: 'error' });
  return out;
}

/**
 * The screen. State lives in one mutable model behind a ref, so that several keys arriving in one chunk
 * (pasted text, fast typing, tmux send-keys) each see the effect of the previous one; every change
 * ends with a re-render.
 */
export function App({ services }: { readonly services: WorkbenchServices }) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const registry = services.registry;
  const roots = useMemo(() => buildTree(registry.list()), [registry]);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const model = useRef<Model>(initialModel(services.initialPattern)).current;
  const checkCache = useRef<{ key: string; text: string; check: PayloadCheck } | null>(null);

  const set = (patch: Partial<Model>) => {
    Object.assign(model, patch);
    rerender();
  };

  useEffect(
    () =>
      services.watchLive({
        onEvent: (event) => set({ live: [...model.live.slice(-(MAX_LIVE - 1)), event] }),
        onStatus: (s, detail) =>
          set({ liveStatus: detail === undefined ? { status: s } : { status: s, detail } }),
      }),
    [services],
  );

  const layout = layoutFor(columns, rows);
  const { treeInner, rightInner } = layout;

  /* ---------- derived state (always from the model as it is now) ---------- */
  const rowsVisible = () => visibleRows(roots, model.expanded);
  const definitionOf = () => (model.selected ? (registry.get(model.selected) ?? null) : null);
  const bufferOf = (definition: EventDefinition | null): TextBuffer | null =>
    definition ? (model.buffers.get(definition.key) ?? bufferFromText(initialText(definition))) : null;
  const checkOf = (definition: EventDefinition | null, buffer: TextBuffer | null): PayloadCheck | null => {
    if (!definition || !buffer) return null;
    const text = bufferText(buffer);
    const cached = checkCache.current;
    if (cached && cached.key === definition.key && cached.text === text) return cached.check;
    const check = checkPayload(definition, text);
    checkCache.current = { key: definition.key, text, check };
    return check;
  };
  const editorHeightOf = (check: PayloadCheck | null, key: string) =>
    Math.max(1, rightInner.height - 1 - issueLinesOf(check, key).length);

  /* ---------- actions ---------- */
  const say = (text: string, tone: Tone = 'info') => set({ status: { text, tone } });

  const setBuffer = (key: string, next: TextBuffer) =>
    set({ buffers: new Map(model.buffers).set(key, next) });

  const reveal = (key: string) => {
    const open = new Set(model.expanded);
    for (const id of ancestorsOf(roots, key)) open.add(id);
    const index = visibleRows(roots, open).findIndex((n) => n.id === key);
    set({ expanded: open, ...(index >= 0 ? { treeCursor: index } : {}), ...select(model, key) });
  };

  const quit = () => {
    if (model.quitting) return;
    model.quitting = true;
    say('closing connections…');
    const timeout = new Promise((resolve) => setTimeout(resolve, 3000).unref());
    void Promise.race([services.close().catch(() => {}), timeout]).then(() => exit());
  };

  const publish = () => {
    const definition = definitionOf();
    const check = checkOf(definition, bufferOf(definition));
    if (!definition || !check) return say('pick an event first', 'error');
    if (check.state !== 'valid')
      return say(
        check.state === 'syntax'
          ? `cannot publish ${definition.key}: the payload is not JSON (line ${check.line + 1})`
          : `cannot publish ${definition.key}: ${check.issues.length} schema issue(s), see the editor`,
        'error',
      );
    if (model.busy) return;
    model.busy = true;
    say(`publishing ${definition.key}…`);
    const key = definition.key;
    services
      .publish(key, check.value)
      .then(
        (receipt) => say(`✓ published ${key} ${receipt.eventId}`, 'ok'),
        (error: Error) => say(`✗ ${error.name}: ${error.message}`, 'error'),
      )
      .finally(() => {
        model.busy = false;
      });
  };

  const fillMock = () => {
    const definition = definitionOf();
    if (!definition) return say('pick an event first', 'error');
    let seed = Math.floor(Math.random() * 1_000_000);
    let value: unknown;
    for (let attempt = 0; attempt < 5; attempt++, seed++) {
      try {
        value = services.mock(definition, seed);
      } catch (error) {
        return say(`✗ cannot generate a mock: ${(error as Error).message}`, 'error');
      }
      if (definition.validatePublish(structuredClone(value)).ok) break;
    }
    setBuffer(definition.key, bufferFromText(pretty(value)));
    set({ view: 'payload', editorTop: 0, editorLeft: 0 });
    say(`mock payload for ${definition.key} (seed ${seed})`);
  };

  const askLoad = () => {
    const definition = definitionOf();
    if (!definition) return say('pick an event first', 'error');
    const key = definition.key;
    set({
      prompt: {
        label: 'Load mock from',
        value: mockFileName(key),
        submit: (path) => {
          services.loadFile(path).then(
            (loaded) => {
              setBuffer(key, bufferFromText(loaded.replace(/\t/g, '  ')));
              set({ view: 'payload', editorTop: 0, editorLeft: 0 });
              say(`loaded ${path}`, 'ok');
            },
            (error: Error) => say(`✗ cannot load ${path}: ${error.message}`, 'error'),
          );
        },
      },
    });
  };

  const askSave = () => {
    const definition = definitionOf();
    if (!definition) return say('pick an event first', 'error');
    const buffer = bufferOf(definition);
    const content = buffer ? bufferText(buffer) : '';
    const valid = checkOf(definition, buffer)?.state === 'valid';
    set({
      prompt: {
        label: 'Save mock to',
        value: mockFileName(definition.key),
        submit: (path) => {
          services.saveFile(path, content).then(
            (absolute) => say(`saved ${absolute}${valid ? '' : ' (not valid yet)'}`, 'ok'),
            (error: Error) => say(`✗ cannot save ${path}: ${error.message}`, 'error'),
          );
        },
      },
    });
  };

  const askPattern = () =>
    set({
      prompt: {
        label: 'Live pattern',
        value: model.pattern,
        submit: (next) => {
          services.setPattern(next).then(
            () => {
              set({ pattern: next });
              say(`live pane shows ${next}`, 'ok');
            },
            (error: Error) => say(`✗ ${error.message}`, 'error'),
          );
        },
      },
    });

  const openLive = (event: LiveEvent) => {
    if (!registry.get(event.routingKey)) return say(`${event.routingKey} is not in the registry`, 'error');
    reveal(event.routingKey);
    setBuffer(event.routingKey, bufferFromText(pretty(event.payload)));
    set({ view: 'payload', focus: 'main', editorTop: 0, editorLeft: 0 });
    say(`editing a copy of ${event.eventId ?? 'the event'}`);
  };

  /* ---------- keys (keys.ts) ---------- */
  const run = (action: KeyAction) => {
    switch (action.type) {
      case 'quit':
        return quit();
      case 'publish':
        return publish();
      case 'mock':
        return fillMock();
      case 'load':
        return askLoad();
      case 'save':
        return askSave();
      case 'pattern':
        return askPattern();
      case 'submit':
        return action.prompt.submit(action.value);
      case 'open-live':
        return openLive(action.event);
    }
  };

  useInput((input, key) => {
    const definition = definitionOf();
    const buffer = bufferOf(definition);
    const { patch, action } = onKey(model, input, key, {
      roots,
      treePage: treeInner.height,
      mainPage: rightInner.height,
      buffer,
      editorHeight: () => editorHeightOf(checkOf(definition, buffer), definition?.key ?? ''),
      schemaLength: () => (definition ? schemaRows(definition.schema).length : 0),
    });
    if (Object.keys(patch).length > 0) set(patch);
    if (action) run(action);
  });

  /* ---------- what this render shows ---------- */
  const {
    expanded,
    treeCursor,
    selected,
    focus,
    view,
    prompt,
    status,
    live,
    liveCursor,
    liveStatus,
    pattern,
    schemaTop,
  } = model;
  const { treeWidth, rightWidth, liveHeight, mainHeight } = layout;
  const visible = rowsVisible();
  const definition = definitionOf();
  const buffer = bufferOf(definition);
  const check = checkOf(definition, buffer);
  const issueLines = issueLinesOf(check, definition?.key ?? '');
  const badLines = new Set<number>();
  if (check?.state === 'invalid') for (const i of check.issues) badLines.add(i.line);
  if (check?.state === 'syntax') badLines.add(check.line);
  const editorHeight = Math.max(1, rightInner.height - 1 - issueLines.length);
  const gutter = 5;
  const editorWidth = Math.max(1, rightInner.width - gutter);
  // Keep the cursors inside their windows (idempotent; stored so scrolling is stable).
  model.treeTop = scrollTop(model.treeTop, treeCursor, treeInner.height);
  if (buffer) {
    model.editorTop = scrollTop(model.editorTop, buffer.row, editorHeight);
    const left = model.editorLeft;
    model.editorLeft =
      buffer.col < left ? buffer.col : buffer.col >= left + editorWidth ? buffer.col - editorWidth + 1 : left;
  }
  const { treeTop, editorTop, editorLeft } = model;
  const schema = definition ? schemaRows(definition.schema) : [];

  /* ---------- drawing ---------- */
  if (columns < MIN_COLUMNS || rows < MIN_ROWS)
    return (
      <Box width={columns} height={rows} flexDirection="column">
        <Text wrap="truncate">{fit(`Bloodbank workbench needs ${MIN_COLUMNS}×${MIN_ROWS}`, columns)}</Text>
        <Text wrap="truncate">{fit(`(this terminal is ${columns}×${rows}); q quits`, columns)}</Text>
      </Box>
    );

  const connected = liveStatus.status === 'connected';
  const headerRight = `${connected ? '●' : '○'} ${liveStatus.status}`;
  const headerLeft = ` Bloodbank workbench · ${services.target}`;
  const header = fit(headerLeft, columns - headerRight.length - 1) + headerRight + ' ';

  const border = (pane: Focus) => (focus === pane && !prompt ? 'cyan' : 'gray');
  const title = definition
    ? `${definition.key} · ${definition.kind}  ${view === 'payload' ? '[Payload] Schema' : 'Payload [Schema]'}`
    : 'no event selected';
  const rightBody: ReactNode =
    !definition || !buffer
      ? helpLines(rightInner.width)
      : view === 'payload'
        ? editorLines({
            buffer,
            top: editorTop,
            left: editorLeft,
            height: editorHeight,
            width: editorWidth,
            paneWidth: rightInner.width,
            badLines,
            issueLines,
            showCursor: focus === 'main' && !prompt,
          })
        : schemaLines({
            definition,
            schema,
            top: schemaTop,
            width: rightInner.width,
            height: rightInner.height,
            focused: focus === 'main',
          });
  const liveView = liveLines({
    live,
    selected: focus === 'live' ? (liveCursor ?? live.length - 1) : -1,
    width: columns - 2,
    height: liveHeight - 3,
    pattern,
    status: liveStatus,
  });

  return (
    <Box width={columns} height={rows} flexDirection="column">
      <Text wrap="truncate" inverse>
        {header}
      </Text>
      <Box height={mainHeight} flexDirection="row">
        <Pane
          width={treeWidth}
          height={mainHeight}
          color={border('tree')}
          title={fit(`Events (${registry.list().length})`, treeInner.width)}
        >
          {treeLines({
            visible,
            top: treeTop,
            cursor: treeCursor,
            height: treeInner.height,
            width: treeInner.width,
            expanded,
            selected,
            focused: focus === 'tree',
          })}
        </Pane>
        <Pane
          width={rightWidth}
          height={mainHeight}
          color={border('main')}
          title={fit(title, rightInner.width)}
        >
          {rightBody}
        </Pane>
      </Box>
      <Pane
        width={columns}
        height={liveHeight}
        color={border('live')}
        title={fit(liveView.title, columns - 2)}
      >
        {liveView.lines}
      </Pane>
      {bottomLines({ status, prompt, hints: hintsFor(prompt !== null, focus, view), columns })}
    </Box>
  );
}
