/**
 * The workbench's state: one model the App keeps behind a ref (so that keys arriving in one chunk each
 * see the previous key's effect), changed by the key handling (keys.ts) and by the App's actions.
 */
import type { TextBuffer } from './editor.js';
import type { LiveEvent, LiveStatus } from './live.js';
import type { Focus, Prompt, Status, View } from './views.js';

export interface Model {
  /** Tree node ids that are open. */
  expanded: ReadonlySet<string>;
  /** Index of the cursor among the visible tree rows, and the first row shown. */
  treeCursor: number;
  treeTop: number;
  /** Key of the event whose payload or schema the right pane shows. */
  selected: string | null;
  /** Edited payloads by event key (an event not edited yet shows its example). */
  buffers: ReadonlyMap<string, TextBuffer>;
  editorTop: number;
  editorLeft: number;
  schemaTop: number;
  focus: Focus;
  view: View;
  prompt: Prompt | null;
  status: Status;
  live: readonly LiveEvent[];
  /** The live row picked; null: the newest. */
  liveCursor: number | null;
  liveStatus: { status: LiveStatus; detail?: string };
  pattern: string;
  busy: boolean;
  quitting: boolean;
}

export function initialModel(pattern: string): Model {
  return {
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
    pattern,
    busy: false,
    quitting: false,
  };
}

export function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}
