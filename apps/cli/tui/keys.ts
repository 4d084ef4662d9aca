/**
 * What each key does in the workbench, as pure functions of the model: `onKey(model, input, key,
 * context)` returns the fields of the model to change and, when the key asks for more than a change of
 * state (publish, a mock, a file, a prompt's answer, opening a live event, quitting), the action the App
 * runs with its services. Nothing here draws or touches a terminal (test/apps/tui/keys.test.ts).
 *
 * Modes, in the order a key meets them: Ctrl-C quits everywhere; a prompt takes every key while open; Tab
 * moves the focus (tree → main → live) except in the payload editor, which takes every other key; the
 * command letters work in every other pane; then the focused pane's own keys (tree, schema, live).
 */
import type { Key } from 'ink';
import { edit, type TextBuffer } from './editor.js';
import type { LiveEvent } from './live.js';
import { clamp, type Model } from './model.js';
import { parentOf, visibleRows, type TreeNode } from './tree.js';
import type { Focus, Prompt } from './views.js';

/** A key as ink reports it; fields not given are not pressed. */
export type KeyPress = Readonly<Partial<Key>>;

/** What the key handling reads beyond the model: the tree, the pane sizes, the selected event's views. */
export interface KeyContext {
  readonly roots: readonly TreeNode[];
  /** Rows of the tree pane and of the right pane: how far PageUp and PageDown move. */
  readonly treePage: number;
  readonly mainPage: number;
  /** The selected event's payload (its draft, else its example); null when no event is selected. */
  readonly buffer: TextBuffer | null;
  /** Rows the payload editor shows (PageUp/PageDown in the editor); asked only while editing. */
  editorHeight(): number;
  /** Rows of the selected event's schema view; asked only when the schema scrolls. */
  schemaLength(): number;
}

type ServiceAction = 'quit' | 'publish' | 'mock' | 'load' | 'save' | 'pattern';

/** What the App does with its services after the model changed. */
export type KeyAction =
  | { readonly type: ServiceAction }
  | { readonly type: 'submit'; readonly prompt: Prompt; readonly value: string }
  | { readonly type: 'open-live'; readonly event: LiveEvent };

export interface KeyResult {
  /** Fields of the model to change (empty: none). */
  readonly patch: Partial<Model>;
  readonly action?: KeyAction;
}

const NOTHING: KeyResult = { patch: {} };
const FOCUS_ORDER: readonly Focus[] = ['tree', 'main', 'live'];

const change = (patch: Partial<Model>): KeyResult => ({ patch });
const run = (action: KeyAction, patch: Partial<Model> = {}): KeyResult => ({ patch, action });

/** The workbench's answer to one key. */
export function onKey(model: Model, input: string, key: KeyPress, context: KeyContext): KeyResult {
  if (key.ctrl && input === 'c') return run({ type: 'quit' });
  if (model.quitting) return NOTHING;
  if (model.prompt) return promptKey(model.prompt, input, key);
  const editing = model.focus === 'main' && model.view === 'payload';
  if (key.tab && !editing) {
    const step = key.shift ? FOCUS_ORDER.length - 1 : 1;
    return change({
      focus: FOCUS_ORDER[(FOCUS_ORDER.indexOf(model.focus) + step) % FOCUS_ORDER.length] ?? 'tree',
    });
  }
  if (editing) return editorKey(model, input, key, context);
  const command = commandKey(model, input, context);
  if (command) return command;
  if (model.focus === 'tree') return treeKey(model, input, key, context);
  if (model.focus === 'main') return schemaKey(model, key, context);
  return liveKey(model, key);
}

/** The letters that ask the App for an action, in every pane but the editor. */
const COMMANDS: ReadonlyMap<string, ServiceAction> = new Map([
  ['q', 'quit'],
  ['p', 'publish'],
  ['m', 'mock'],
  ['l', 'load'],
  ['w', 'save'],
  ['f', 'pattern'],
] as const);

/** The command letters, in every pane but the editor; null when `input` is none of them here. */
export function commandKey(model: Model, input: string, context: KeyContext): KeyResult | null {
  const command = COMMANDS.get(input);
  if (command) return run({ type: command });
  switch (input) {
    case 's':
      return change({ view: model.view === 'schema' ? 'payload' : 'schema' });
    case 'e':
      if (!context.buffer) return change({ status: { text: 'pick an event first', tone: 'error' } });
      return change({ view: 'payload', focus: 'main' });
    case 'c':
      return model.focus === 'live' ? change({ live: [], liveCursor: null }) : null;
    default:
      return null;
  }
}

/** A prompt's line: typing, Backspace, Ctrl-U clears, Enter answers (unless blank), Esc cancels. */
export function promptKey(prompt: Prompt, input: string, key: KeyPress): KeyResult {
  if (key.escape) return change({ prompt: null });
  if (key.return) {
    const value = prompt.value.trim();
    return value === '' ? change({ prompt: null }) : run({ type: 'submit', prompt, value }, { prompt: null });
  }
  if (key.backspace || key.delete) return change({ prompt: { ...prompt, value: prompt.value.slice(0, -1) } });
  if (key.ctrl && input === 'u') return change({ prompt: { ...prompt, value: '' } });
  if (key.ctrl || key.meta || input === '') return NOTHING;
  let value = prompt.value;
  for (const ch of input) {
    if (ch === '\x7f' || ch === '\b') value = value.slice(0, -1);
    else if (ch >= ' ') value += ch;
  }
  return change({ prompt: { ...prompt, value } });
}

/** The event tree: arrows, PageUp/PageDown, Home/End move (selecting the event under the cursor); →/← open and close; Enter or space opens a group or edits an event. */
export function treeKey(model: Model, input: string, key: KeyPress, context: KeyContext): KeyResult {
  const visible = visibleRows(context.roots, model.expanded);
  const cursor = model.treeCursor;
  const move = (index: number): KeyResult => {
    const next = clamp(index, 0, visible.length - 1);
    const event = visible[next]?.event;
    return change({ treeCursor: next, ...(event ? select(model, event.key) : {}) });
  };
  if (key.upArrow) return move(cursor - 1);
  if (key.downArrow) return move(cursor + 1);
  if (key.pageUp) return move(cursor - context.treePage);
  if (key.pageDown) return move(cursor + context.treePage);
  if (key.home) return move(0);
  if (key.end) return move(visible.length - 1);
  const node = visible[cursor];
  if (!node) return NOTHING;
  const group = node.children.length > 0;
  const open = model.expanded.has(node.id);
  const toggle = (to: boolean): KeyResult => {
    const next = new Set(model.expanded);
    if (to) next.add(node.id);
    else next.delete(node.id);
    return change({ expanded: next });
  };
  if (key.rightArrow) {
    if (group) return open ? move(cursor + 1) : toggle(true);
    return NOTHING;
  }
  if (key.leftArrow) {
    if (group && open) return toggle(false);
    const parent = parentOf(context.roots, node.id);
    return parent ? move(visible.findIndex((n) => n.id === parent.id)) : NOTHING;
  }
  if (key.return || input === ' ') {
    if (group) return toggle(!open);
    if (node.event) return change({ ...select(model, node.event.key), view: 'payload', focus: 'main' });
  }
  return NOTHING;
}

/** The payload editor: Ctrl-P/S/O/G publish, save, load, mock; Esc back to the tree; the rest edits the text. */
export function editorKey(model: Model, input: string, key: KeyPress, context: KeyContext): KeyResult {
  const buffer = context.buffer;
  const selected = model.selected;
  if (!buffer || selected === null || key.escape) return change({ focus: 'tree' });
  if (key.ctrl && input === 'p') return run({ type: 'publish' });
  if (key.ctrl && input === 's') return run({ type: 'save' });
  if (key.ctrl && input === 'o') return run({ type: 'load' });
  if (key.ctrl && input === 'g') return run({ type: 'mock' });
  const next = edit(buffer, { ...key, input }, context.editorHeight());
  return next === buffer ? NOTHING : change({ buffers: new Map(model.buffers).set(selected, next) });
}

/** The schema view: ↑↓ and PageUp/PageDown scroll; Esc back to the tree. */
export function schemaKey(model: Model, key: KeyPress, context: KeyContext): KeyResult {
  if (key.escape) return change({ focus: 'tree' });
  const step = key.upArrow
    ? -1
    : key.downArrow
      ? 1
      : key.pageUp
        ? -context.mainPage
        : key.pageDown
          ? context.mainPage
          : 0;
  if (step === 0) return NOTHING;
  const max = Math.max(0, context.schemaLength() - 1);
  return change({ schemaTop: clamp(model.schemaTop + step, 0, max) });
}

/** The live pane: ↑↓ pick an event (the newest until then); Enter opens a copy of it in the editor. */
export function liveKey(model: Model, key: KeyPress): KeyResult {
  const live = model.live;
  if (live.length === 0) return NOTHING;
  const current = model.liveCursor ?? live.length - 1;
  if (key.upArrow) return change({ liveCursor: clamp(current - 1, 0, live.length - 1) });
  if (key.downArrow) return change({ liveCursor: clamp(current + 1, 0, live.length - 1) });
  const event = live[current];
  if (key.return && event) return run({ type: 'open-live', event });
  return NOTHING;
}

/** Select an event: the right pane starts at its top (nothing changes when it is already selected). */
export function select(model: Pick<Model, 'selected'>, key: string): Partial<Model> {
  return key === model.selected ? {} : { selected: key, editorTop: 0, editorLeft: 0, schemaTop: 0 };
}
