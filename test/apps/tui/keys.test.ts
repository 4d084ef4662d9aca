/**
 * The workbench's key handling (apps/cli/tui/keys.ts) without a terminal: each key is applied to a
 * model as the App applies it (the patch merged in, the action named), mode by mode: tree, focus,
 * command letters, payload editor, prompt, schema and live panes. tui.test.ts drives the same keys
 * through the built `bb` in tmux.
 */
import { describe, expect, it } from 'vitest';
import { bufferFromText, bufferText, type TextBuffer } from '../../../apps/cli/tui/editor.js';
import { onKey, type KeyContext, type KeyPress, type KeyResult } from '../../../apps/cli/tui/keys.js';
import type { LiveEvent } from '../../../apps/cli/tui/live.js';
import { initialModel, type Model } from '../../../apps/cli/tui/model.js';
import { buildTree } from '../../../apps/cli/tui/tree.js';
import type { Prompt } from '../../../apps/cli/tui/views.js';

const roots = buildTree(
  ['fireflies.transcript.ready', 'fireflies.transcript.upload', 'llm.prompt', 'llm.response'].map((key) => ({
    key,
    tokens: key.split('.'),
    kind: 'event' as const,
  })),
);

function context(model: Model, extra: Partial<KeyContext> = {}): KeyContext {
  return {
    roots,
    treePage: 3,
    mainPage: 4,
    buffer: model.selected ? (model.buffers.get(model.selected) ?? bufferFromText('{}')) : null,
    editorHeight: () => 5,
    schemaLength: () => 10,
    ...extra,
  };
}

/** Press keys one after another, as the App does: each sees the model the previous one left. */
function press(
  start: Model,
  ...keys: Array<string | KeyPress | [string, KeyPress]>
): { model: Model; results: KeyResult[] } {
  let model = start;
  const results: KeyResult[] = [];
  for (const k of keys) {
    const [input, key] = typeof k === 'string' ? [k, {}] : Array.isArray(k) ? k : ['', k];
    const result = onKey(model, input, key, context(model));
    results.push(result);
    model = { ...model, ...result.patch };
  }
  return { model, results };
}

const fresh = (patch: Partial<Model> = {}): Model => ({ ...initialModel('#'), ...patch });
const actions = (results: KeyResult[]) => results.map((r) => r.action?.type ?? null);

describe('tree keys', () => {
  it('walks, opens and closes groups, and selects the event under the cursor', () => {
    // rows: fireflies, llm (both closed)
    const down = press(fresh(), { downArrow: true });
    expect(down.model.treeCursor).toBe(1);
    const opened = press(fresh(), { rightArrow: true }, { rightArrow: true }, { rightArrow: true });
    // fireflies opened, the cursor steps onto fireflies.transcript, which opens
    expect([...opened.model.expanded].sort()).toEqual(['fireflies', 'fireflies.transcript']);
    expect(opened.model.treeCursor).toBe(1);
    const onLeaf = press(opened.model, { downArrow: true });
    expect(onLeaf.model).toMatchObject({
      treeCursor: 2,
      selected: 'fireflies.transcript.ready',
      editorTop: 0,
    });
    const parent = press(onLeaf.model, { leftArrow: true });
    expect(parent.model.treeCursor).toBe(1);
    const closed = press(parent.model, { leftArrow: true });
    expect(closed.model.expanded.has('fireflies.transcript')).toBe(false);
  });

  it('Home, End and the page keys stay inside the rows', () => {
    const open = fresh({ expanded: new Set(['fireflies', 'fireflies.transcript', 'llm']) });
    // rows: fireflies, transcript, ready, upload, llm, prompt, response
    expect(press(open, { end: true }).model).toMatchObject({ treeCursor: 6, selected: 'llm.response' });
    expect(press(open, { pageDown: true }).model.treeCursor).toBe(3);
    expect(press(open, { pageDown: true }, { pageDown: true }, { pageDown: true }).model.treeCursor).toBe(6);
    expect(press(open, { end: true }, { home: true }).model.treeCursor).toBe(0);
    expect(press(open, { upArrow: true }).model.treeCursor).toBe(0);
  });

  it('Enter on an event opens its payload in the editor; on a group it toggles', () => {
    // rows: fireflies, llm, prompt, response
    const open = fresh({ expanded: new Set(['llm']), treeCursor: 3 });
    expect(press(open, { return: true }).model).toMatchObject({
      selected: 'llm.response',
      focus: 'main',
      view: 'payload',
    });
    expect(press(fresh(), ' ').model.expanded.has('fireflies')).toBe(true);
  });

  it('selecting another event starts its views at the top; the same event keeps them', () => {
    const scrolled = fresh({
      expanded: new Set(['llm']),
      treeCursor: 2,
      selected: 'llm.prompt',
      editorTop: 4,
      schemaTop: 2,
    });
    expect(press(scrolled, { downArrow: true }).model).toMatchObject({
      selected: 'llm.response',
      editorTop: 0,
      schemaTop: 0,
    });
    expect(press(scrolled, { return: true }).model).toMatchObject({
      selected: 'llm.prompt',
      editorTop: 4,
      schemaTop: 2,
    });
  });
});

describe('focus and command letters', () => {
  it('Tab cycles tree → main → live, Shift-Tab backwards; in the editor Tab is text', () => {
    const schema = fresh({ view: 'schema' });
    const forward = press(schema, { tab: true }, { tab: true }, { tab: true });
    expect(forward.results.map((r) => r.patch.focus)).toEqual(['main', 'live', 'tree']);
    expect(press(schema, { tab: true, shift: true }).model.focus).toBe('live');
    const editing = fresh({ selected: 'llm.prompt', focus: 'main' });
    const tab = press(editing, { tab: true });
    expect(tab.model.focus).toBe('main');
    expect(bufferText(tab.model.buffers.get('llm.prompt') as TextBuffer)).toBe('  {}');
  });

  const letters: Array<[string, string | null]> = [
    ['q', 'quit'],
    ['p', 'publish'],
    ['m', 'mock'],
    ['l', 'load'],
    ['w', 'save'],
    ['f', 'pattern'],
    ['s', null],
    ['x', null],
  ];
  it.each(letters)('%s in the tree asks for %s', (letter, action) => {
    expect(actions(press(fresh(), letter).results)).toEqual([action]);
  });

  it('s switches payload and schema; e edits the selected event, or says to pick one', () => {
    expect(press(fresh(), 's').model.view).toBe('schema');
    expect(press(fresh(), 's', 's').model.view).toBe('payload');
    expect(press(fresh(), 'e').model.status).toEqual({ text: 'pick an event first', tone: 'error' });
    expect(press(fresh({ selected: 'llm.prompt', view: 'schema' }), 'e').model).toMatchObject({
      focus: 'main',
      view: 'payload',
    });
  });

  it('c clears the live pane only when it has the focus', () => {
    const live = [liveEvent('a')];
    expect(press(fresh({ focus: 'live', live, liveCursor: 0 }), 'c').model).toMatchObject({
      live: [],
      liveCursor: null,
    });
    expect(press(fresh({ live }), 'c').model.live).toEqual(live);
  });

  it('Ctrl-C quits from any mode; once quitting, keys do nothing', () => {
    const prompt: Prompt = { label: 'x', value: '', submit: () => {} };
    for (const model of [fresh(), fresh({ prompt }), fresh({ selected: 'llm.prompt', focus: 'main' })])
      expect(actions(press(model, ['c', { ctrl: true }]).results)).toEqual(['quit']);
    expect(press(fresh({ quitting: true }), 'q', { downArrow: true }).results).toEqual([
      { patch: {} },
      { patch: {} },
    ]);
  });
});

describe('payload editor keys', () => {
  const editing = fresh({ selected: 'llm.prompt', focus: 'main' });

  it('types into the selected event’s draft; letters are text here, not commands', () => {
    const typed = press(editing, { end: true }, 'q', 'p');
    expect(actions(typed.results)).toEqual([null, null, null]);
    expect(bufferText(typed.model.buffers.get('llm.prompt') as TextBuffer)).toBe('{}qp');
  });

  it('Ctrl-P/S/O/G publish, save, load and mock; Esc goes back to the tree', () => {
    const ctrl = (input: string): [string, KeyPress] => [input, { ctrl: true }];
    expect(actions(press(editing, ctrl('p'), ctrl('s'), ctrl('o'), ctrl('g')).results)).toEqual([
      'publish',
      'save',
      'load',
      'mock',
    ]);
    expect(press(editing, { escape: true }).model.focus).toBe('tree');
  });

  it('without an event selected the editor hands the focus back to the tree', () => {
    expect(press(fresh({ focus: 'main' }), 'a').model.focus).toBe('tree');
  });
});

describe('prompt keys', () => {
  const submitted: string[] = [];
  const prompt: Prompt = { label: 'Save mock to', value: 'mocks/a.json', submit: (v) => submitted.push(v) };

  it('edits its line and answers with the trimmed value on Enter', () => {
    const typed = press(fresh({ prompt }), { backspace: true }, 'x ', 'q', ' ');
    expect(typed.model.prompt?.value).toBe('mocks/a.jsox q ');
    const done = press(typed.model, { return: true });
    expect(done.model.prompt).toBeNull();
    expect(done.results[0]?.action).toEqual({
      type: 'submit',
      prompt: typed.model.prompt,
      value: 'mocks/a.jsox q',
    });
  });

  it('Ctrl-U clears, Enter on a blank line or Esc closes without an answer', () => {
    const cleared = press(fresh({ prompt }), ['u', { ctrl: true }]);
    expect(cleared.model.prompt?.value).toBe('');
    expect(press(cleared.model, { return: true }).results[0]).toEqual({ patch: { prompt: null } });
    expect(press(fresh({ prompt }), { escape: true }).results[0]).toEqual({ patch: { prompt: null } });
  });

  it('pasted text keeps printable characters and applies backspaces', () => {
    expect(press(fresh({ prompt: { ...prompt, value: '' } }), 'ab\x7fc\u0001d').model.prompt?.value).toBe(
      'acd',
    );
  });
});

describe('schema and live keys', () => {
  it('the schema scrolls by line and page, within its rows', () => {
    const schema = fresh({ selected: 'llm.prompt', focus: 'main', view: 'schema' });
    expect(press(schema, { downArrow: true }).model.schemaTop).toBe(1);
    expect(press(schema, { pageDown: true }, { pageDown: true }, { pageDown: true }).model.schemaTop).toBe(9);
    expect(press(schema, { upArrow: true }).model.schemaTop).toBe(0);
    expect(press(schema, { escape: true }).model.focus).toBe('tree');
  });

  it('the schema length is asked only when the schema scrolls', () => {
    const schema = fresh({ selected: 'llm.prompt', focus: 'main', view: 'schema' });
    let asked = 0;
    const ctx = context(schema, { schemaLength: () => ++asked });
    onKey(schema, 'z', {}, ctx);
    expect(asked).toBe(0);
    onKey(schema, '', { downArrow: true }, ctx);
    expect(asked).toBe(1);
  });

  it('live rows: ↑↓ from the newest, Enter opens the one picked', () => {
    const live = [liveEvent('a'), liveEvent('b'), liveEvent('c')];
    const picked = press(
      fresh({ focus: 'live', live }),
      { upArrow: true },
      { upArrow: true },
      { upArrow: true },
    );
    expect(picked.model.liveCursor).toBe(0);
    const open = press(picked.model, { downArrow: true }, { return: true });
    expect(open.results[1]?.action).toEqual({ type: 'open-live', event: live[1] });
    expect(press(fresh({ focus: 'live' }), { return: true }).results[0]).toEqual({ patch: {} });
  });
});

function liveEvent(id: string): LiveEvent {
  return { eventId: id, routingKey: 'llm.prompt', payload: {} } as unknown as LiveEvent;
}
