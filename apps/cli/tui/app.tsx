/**
 * The workbench screen: event tree (left), payload editor or schema viewer (right), live events
 * (bottom), a status line and the keys of the focused pane. Everything is drawn to fit the terminal
 * (80×24 and up) and redrawn on resize. Services (publish, live feed, mocks, files) come in as props.
 */
import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';
import type { EventDefinition, Registry } from 'bloodbank/registry.js';

/** What the workbench reads of a registry. */
export type WorkbenchRegistry = Pick<Registry, 'list' | 'get'>;
import { bufferFromText, bufferText, edit, scrollTop, type TextBuffer } from './editor.js';
import type { LiveEvent, LiveStatus } from './live.js';
import { mockFileName } from './mock-files.js';
import { checkPayload, pretty, type PayloadCheck } from './payload.js';
import { schemaRows } from './schema-rows.js';
import { ancestorsOf, buildTree, parentOf, visibleRows, type TreeNode } from './tree.js';
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
  type Prompt,
  type Status,
  type Tone,
  type View,
} from './views.js';

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

/** Cut or pad `text` to exactly `width` columns (the UI only draws narrow characters itself). */
function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

function initialText(definition: EventDefinition): string {
  const example = definition.examples[0];
  return pretty(example ?? {});
}

interface Model {
  expanded: ReadonlySet<string>;
  treeCursor: number;
  treeTop: number;
  selected: string | null;
  buffers: ReadonlyMap<string, TextBuffer>;
  editorTop: number;
  editorLeft: number;
  schemaTop: number;
  focus: Focus;
  view: View;
  prompt: Prompt | null;
  status: Status;
  live: readonly LiveEvent[];
  liveCursor: number | null;
  liveStatus: { status: LiveStatus; detail?: string };
  pattern: string;
  busy: boolean;
  quitting: boolean;
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
  const model = useRef<Model>({
    expanded: new Set(),
    treeCursor: 0,
    treeTop: 0,
    selected: null,
    buffers: new Map(),
    editorTop: 0,
    editorLeft: 0,
    schemaTop: 0,
    focus: 'tree',
    view: 'payload',
    prompt: null,
    status: { text: '↑↓ pick an event, ⏎ edit its payload, p publish — q quits', tone: 'info' },
    live: [],
    liveCursor: null,
    liveStatus: { status: 'connecting' },
    pattern: services.initialPattern,
    busy: false,
    quitting: false,
  }).current;
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

  const select = (key: string) => {
    if (key === model.selected) return;
    set({ selected: key, editorTop: 0, editorLeft: 0, schemaTop: 0 });
  };

  const moveTree = (index: number) => {
    const visible = rowsVisible();
    const next = clamp(index, 0, visible.length - 1);
    set({ treeCursor: next });
    const node = visible[next];
    if (node?.event) select(node.event.key);
  };

  const reveal = (key: string) => {
    const open = new Set(model.expanded);
    for (const id of ancestorsOf(roots, key)) open.add(id);
    const index = visibleRows(roots, open).findIndex((n) => n.id === key);
    set({ expanded: open, ...(index >= 0 ? { treeCursor: index } : {}) });
    select(key);
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

  /* ---------- keys ---------- */
  const onPrompt = (input: string, key: Key) => {
    const prompt = model.prompt;
    if (!prompt) return;
    if (key.escape) return set({ prompt: null });
    if (key.return) {
      set({ prompt: null });
      if (prompt.value.trim() !== '') prompt.submit(prompt.value.trim());
      return;
    }
    if (key.backspace || key.delete) return set({ prompt: { ...prompt, value: prompt.value.slice(0, -1) } });
    if (key.ctrl && input === 'u') return set({ prompt: { ...prompt, value: '' } });
    if (key.ctrl || key.meta || input === '') return;
    let value = prompt.value;
    for (const ch of input) {
      if (ch === '\x7f' || ch === '\b') value = value.slice(0, -1);
      else if (ch >= ' ') value += ch;
    }
    set({ prompt: { ...prompt, value } });
  };

  const onTree = (input: string, key: Key) => {
    const visible = rowsVisible();
    const cursor = model.treeCursor;
    const node: TreeNode | undefined = visible[cursor];
    if (key.upArrow) return moveTree(cursor - 1);
    if (key.downArrow) return moveTree(cursor + 1);
    if (key.pageUp) return moveTree(cursor - treeInner.height);
    if (key.pageDown) return moveTree(cursor + treeInner.height);
    if (key.home) return moveTree(0);
    if (key.end) return moveTree(visible.length - 1);
    if (!node) return;
    const toggle = (open: boolean) => {
      const next = new Set(model.expanded);
      if (open) next.add(node.id);
      else next.delete(node.id);
      set({ expanded: next });
    };
    if (key.rightArrow) {
      if (node.children.length > 0 && !model.expanded.has(node.id)) return toggle(true);
      if (node.children.length > 0) return moveTree(cursor + 1);
      return;
    }
    if (key.leftArrow) {
      if (node.children.length > 0 && model.expanded.has(node.id)) return toggle(false);
      const parent = parentOf(roots, node.id);
      if (parent) return moveTree(visible.findIndex((n) => n.id === parent.id));
      return;
    }
    if (key.return || input === ' ') {
      if (node.children.length > 0) return toggle(!model.expanded.has(node.id));
      if (node.event) {
        select(node.event.key);
        set({ view: 'payload', focus: 'main' });
      }
    }
  };

  const onEditor = (input: string, key: Key) => {
    const definition = definitionOf();
    const buffer = bufferOf(definition);
    if (!definition || !buffer) return set({ focus: 'tree' });
    if (key.escape) return set({ focus: 'tree' });
    if (key.ctrl && input === 'p') return publish();
    if (key.ctrl && input === 's') return askSave();
    if (key.ctrl && input === 'o') return askLoad();
    if (key.ctrl && input === 'g') return fillMock();
    const next = edit(buffer, { ...key, input }, editorHeightOf(checkOf(definition, buffer), definition.key));
    if (next !== buffer) setBuffer(definition.key, next);
  };

  const onSchema = (key: Key, length: number) => {
    const max = Math.max(0, length - 1);
    if (key.escape) return set({ focus: 'tree' });
    if (key.upArrow) return set({ schemaTop: clamp(model.schemaTop - 1, 0, max) });
    if (key.downArrow) return set({ schemaTop: clamp(model.schemaTop + 1, 0, max) });
    if (key.pageUp) return set({ schemaTop: clamp(model.schemaTop - rightInner.height, 0, max) });
    if (key.pageDown) return set({ schemaTop: clamp(model.schemaTop + rightInner.height, 0, max) });
  };

  const onLive = (key: Key) => {
    const live = model.live;
    if (live.length === 0) return;
    const current = model.liveCursor ?? live.length - 1;
    if (key.upArrow) return set({ liveCursor: clamp(current - 1, 0, live.length - 1) });
    if (key.downArrow) return set({ liveCursor: clamp(current + 1, 0, live.length - 1) });
    if (key.return) {
      const event = live[current];
      if (event) openLive(event);
    }
  };

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return quit();
    if (model.quitting) return;
    if (model.prompt) return onPrompt(input, key);
    const editing = model.focus === 'main' && model.view === 'payload';
    if (key.tab && !editing) {
      const order: Focus[] = ['tree', 'main', 'live'];
      const step = key.shift ? order.length - 1 : 1;
      return set({ focus: order[(order.indexOf(model.focus) + step) % order.length] ?? 'tree' });
    }
    if (editing) return onEditor(input, key);
    // Command keys, in every pane but the editor.
    switch (input) {
      case 'q':
        return quit();
      case 'p':
        return publish();
      case 'm':
        return fillMock();
      case 'l':
        return askLoad();
      case 'w':
        return askSave();
      case 'f':
        return askPattern();
      case 's':
        return set({ view: model.view === 'schema' ? 'payload' : 'schema' });
      case 'e':
        if (!definitionOf()) return say('pick an event first', 'error');
        return set({ view: 'payload', focus: 'main' });
      case 'c':
        if (model.focus === 'live') return set({ live: [], liveCursor: null });
        break;
      default:
        break;
    }
    if (model.focus === 'tree') return onTree(input, key);
    if (model.focus === 'main') {
      const definition = definitionOf();
      return onSchema(key, definition ? schemaRows(definition.schema).length : 0);
    }
    return onLive(key);
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
