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

type Focus = 'tree' | 'main' | 'live';
type View = 'payload' | 'schema';
type Tone = 'info' | 'ok' | 'error';

interface Prompt {
  readonly label: string;
  readonly value: string;
  readonly submit: (value: string) => void;
}

interface Status {
  readonly text: string;
  readonly tone: Tone;
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
function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length > width) return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
  return text + ' '.repeat(width - chars.length);
}

/** A bordered pane with a bold one-line title (already fitted to its inner width). */
function Pane(props: {
  readonly width: number;
  readonly height: number;
  readonly color: string;
  readonly title: string;
  readonly children?: ReactNode;
}) {
  return (
    <Box
      width={props.width}
      height={props.height}
      borderStyle="round"
      borderColor={props.color}
      flexDirection="column"
    >
      <Text wrap="truncate" bold>
        {props.title}
      </Text>
      {props.children}
    </Box>
  );
}

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

function initialText(definition: EventDefinition): string {
  const example = definition.examples[0];
  return pretty(example ?? {});
}

function time(date: Date): string {
  return date.toTimeString().slice(0, 8);
}

function oneLine(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
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

  /* tree */
  const treeLines = visible.slice(treeTop, treeTop + treeInner.height).map((node, i) => {
    const index = treeTop + i;
    const cursor = index === treeCursor;
    const icon =
      node.children.length > 0
        ? expanded.has(node.id)
          ? '▾'
          : '▸'
        : node.event?.kind === 'command'
          ? '»'
          : '·';
    const tag = node.event?.kind === 'command' ? ' cmd' : '';
    const label = `${cursor ? '›' : ' '}${'  '.repeat(node.depth)}${icon} ${node.label}`;
    const body = fit(label, treeInner.width - tag.length) + tag;
    return (
      <Text
        key={node.id}
        wrap="truncate"
        inverse={cursor && focus === 'tree'}
        bold={node.event?.key === selected}
        {...(node.event?.kind === 'command' ? { color: 'yellow' } : {})}
      >
        {body}
      </Text>
    );
  });

  /* right pane */
  const title = definition
    ? `${definition.key} · ${definition.kind}  ${view === 'payload' ? '[Payload] Schema' : 'Payload [Schema]'}`
    : 'no event selected';
  let rightBody: ReactNode;
  if (!definition || !buffer) {
    rightBody = [
      'Pick an event in the tree (↑ ↓ → ←).',
      '',
      '⏎ / e   edit the payload        s  schema',
      'm       mock payload            p  publish',
      'l / w   load / save mock file   f  live pattern',
      'Tab     next pane               q  quit',
      '',
      '» cmd   a command (reply and failure events)',
    ].map((line, i) => (
      <Text key={i} wrap="truncate">
        {fit(line, rightInner.width)}
      </Text>
    ));
  } else if (view === 'payload') {
    const lines = buffer.lines.slice(editorTop, editorTop + editorHeight);
    rightBody = (
      <>
        {lines.map((line, i) => {
          const row = editorTop + i;
          const bad = badLines.has(row);
          const number = `${bad ? '✗' : ' '}${String(row + 1).padStart(3)} `;
          const visible = line.slice(editorLeft, editorLeft + editorWidth);
          const isCursorRow = row === buffer.row && focus === 'main' && !prompt;
          if (!isCursorRow)
            return (
              <Text key={row} wrap="truncate">
                <Text color={bad ? 'red' : 'gray'}>{number}</Text>
                {fit(visible, editorWidth)}
              </Text>
            );
          const c = buffer.col - editorLeft;
          return (
            <Text key={row} wrap="truncate">
              <Text color={bad ? 'red' : 'cyan'}>{number}</Text>
              {visible.slice(0, c)}
              <Text inverse>{visible[c] ?? ' '}</Text>
              {fit(visible.slice(c + 1), Math.max(0, editorWidth - c - 1))}
            </Text>
          );
        })}
        {Array.from({ length: Math.max(0, editorHeight - lines.length) }, (_, i) => (
          <Text key={`pad${i}`}>{fit('', rightInner.width)}</Text>
        ))}
        {issueLines.map((line, i) => (
          <Text key={`issue${i}`} wrap="truncate" color={line.tone === 'ok' ? 'green' : 'red'}>
            {fit(line.text, rightInner.width)}
          </Text>
        ))}
      </>
    );
  } else {
    const head = [
      definition.title,
      definition.kind === 'command'
        ? `reply → ${definition.replyKey ?? '—'} · failure → ${definition.errorKey ?? '—'}`
        : `event on exchange, routing key ${definition.key}`,
    ];
    const detailRow = schema[schemaTop];
    const detailText = detailRow ? `${detailRow.path}: ${detailRow.description}` : '';
    const detail = [detailText.slice(0, rightInner.width), detailText.slice(rightInner.width)];
    const tableHeight = Math.max(1, rightInner.height - 1 - head.length - 2);
    const table = schema.slice(schemaTop, schemaTop + tableHeight);
    rightBody = (
      <>
        {head.map((line, i) => (
          <Text key={`h${i}`} wrap="truncate" dimColor={i > 0}>
            {fit(line, rightInner.width)}
          </Text>
        ))}
        {table.map((row, i) => {
          const name = `${'  '.repeat(row.depth)}${row.path.split('.').pop() ?? row.path}${row.required ? '*' : ''}`;
          const line = `${fit(name, 22)} ${fit(row.type, 14)} ${row.constraints.join(', ')}`;
          return (
            <Text key={row.path} wrap="truncate" inverse={i === 0 && focus === 'main'}>
              {fit(line, rightInner.width)}
            </Text>
          );
        })}
        {Array.from({ length: Math.max(0, tableHeight - table.length) }, (_, i) => (
          <Text key={`pad${i}`}>{fit('', rightInner.width)}</Text>
        ))}
        {detail.map((line, i) => (
          <Text key={`d${i}`} wrap="truncate" color="gray">
            {fit(line, rightInner.width)}
          </Text>
        ))}
      </>
    );
  }

  /* live pane */
  const liveInner = { width: columns - 2, height: liveHeight - 3 };
  const liveSelected = focus === 'live' ? (liveCursor ?? live.length - 1) : -1;
  const liveStart = clamp(
    liveSelected >= 0 ? liveSelected - liveInner.height + 1 : live.length - liveInner.height,
    0,
    Math.max(0, live.length - liveInner.height),
  );
  const liveShown = live.slice(liveStart, liveStart + liveInner.height);
  const liveTitle = `Live · ${pattern} · ${live.length} event${live.length === 1 ? '' : 's'}${
    liveStatus.status === 'connected'
      ? ''
      : ` · ${liveStatus.status}${liveStatus.detail ? `: ${liveStatus.detail}` : ''}`
  }`;

  const hints = prompt
    ? null
    : focus === 'main' && view === 'payload'
      ? 'type to edit · Esc back · ^P publish · ^G mock · ^O load · ^S save'
      : focus === 'main'
        ? '↑↓ scroll · s payload · Esc/Tab pane · p publish · q quit'
        : focus === 'live'
          ? '↑↓ pick · ⏎ open in editor · f pattern · c clear · Tab pane · q quit'
          : '↑↓←→ move · ⏎ edit · s schema · m mock · l/w load/save · p publish · q quit';

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
          {treeLines}
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
        title={fit(liveTitle, liveInner.width)}
      >
        {liveShown.map((event, i) => {
          const line = `${time(event.receivedAt)} ${event.routingKey}  ${(event.eventId ?? '-').slice(0, 8)}  ${oneLine(event.payload)}`;
          return (
            <Text key={event.seq} wrap="truncate" inverse={liveStart + i === liveSelected}>
              {fit(line, liveInner.width)}
            </Text>
          );
        })}
        {live.length === 0 ? (
          <Text wrap="truncate" color="gray">
            {fit(`waiting for events matching ${pattern} (f changes the pattern)`, liveInner.width)}
          </Text>
        ) : null}
      </Pane>
      <Text
        wrap="truncate"
        {...(status.tone === 'info' ? {} : { color: status.tone === 'error' ? 'red' : 'green' })}
      >
        {fit(` ${status.text}`, columns)}
      </Text>
      {prompt ? (
        <Text wrap="truncate">
          <Text color="cyan">{` ${prompt.label}: `}</Text>
          {prompt.value}
          <Text inverse> </Text>
          <Text color="gray">
            {fit('  ⏎ ok · Esc cancel', Math.max(0, columns - prompt.label.length - prompt.value.length - 5))}
          </Text>
        </Text>
      ) : (
        <Text wrap="truncate" color="gray">
          {fit(` ${hints ?? ''}`, columns)}
        </Text>
      )}
    </Box>
  );
}
