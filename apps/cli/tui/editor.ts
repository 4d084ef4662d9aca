/**
 * The payload editor's text buffer: lines and a cursor, changed only through pure functions
 * (`edit(buffer, key) → buffer`), so the editor's behaviour is tested without a terminal.
 */

export interface TextBuffer {
  readonly lines: readonly string[];
  /** Cursor line (0-based). */
  readonly row: number;
  /** Cursor column (0-based, in UTF-16 code units; 0..line length). */
  readonly col: number;
}

/** What a key press asks of the buffer (a subset of ink's `Key`, plus the typed text). */
export interface EditKey {
  readonly input: string;
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly tab?: boolean;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
}

export function bufferFromText(text: string): TextBuffer {
  return { lines: text.replace(/\r\n?/g, '\n').split('\n'), row: 0, col: 0 };
}

export function bufferText(buffer: TextBuffer): string {
  return buffer.lines.join('\n');
}

const INDENT = '  ';

function line(buffer: TextBuffer, row: number): string {
  return buffer.lines[row] ?? '';
}

function at(buffer: TextBuffer, row: number, col: number): TextBuffer {
  const r = Math.max(0, Math.min(row, buffer.lines.length - 1));
  const c = Math.max(0, Math.min(col, line(buffer, r).length));
  return { lines: buffer.lines, row: r, col: c };
}

function replaceLines(
  buffer: TextBuffer,
  from: number,
  count: number,
  lines: string[],
  row: number,
  col: number,
) {
  const next = [...buffer.lines];
  next.splice(from, count, ...lines);
  return at({ lines: next, row: 0, col: 0 }, row, col);
}

/** Insert text (may contain newlines) at the cursor. */
export function insertText(buffer: TextBuffer, text: string): TextBuffer {
  const current = line(buffer, buffer.row);
  const before = current.slice(0, buffer.col);
  const after = current.slice(buffer.col);
  const parts = text.replace(/\r\n?/g, '\n').split('\n');
  if (parts.length === 1) {
    return replaceLines(buffer, buffer.row, 1, [before + text + after], buffer.row, buffer.col + text.length);
  }
  const first = before + (parts[0] ?? '');
  const last = parts[parts.length - 1] ?? '';
  const middle = parts.slice(1, -1);
  return replaceLines(
    buffer,
    buffer.row,
    1,
    [first, ...middle, last + after],
    buffer.row + parts.length - 1,
    last.length,
  );
}

/** Enter: split the line, keeping the current indentation (one level more after `{` or `[`). */
function newline(buffer: TextBuffer): TextBuffer {
  const current = line(buffer, buffer.row);
  const indent = /^\s*/.exec(current)?.[0] ?? '';
  const opens = /[[{]\s*$/.test(current.slice(0, buffer.col));
  return insertText(buffer, '\n' + indent + (opens ? INDENT : ''));
}

function backspace(buffer: TextBuffer): TextBuffer {
  if (buffer.col > 0) {
    const current = line(buffer, buffer.row);
    return replaceLines(
      buffer,
      buffer.row,
      1,
      [current.slice(0, buffer.col - 1) + current.slice(buffer.col)],
      buffer.row,
      buffer.col - 1,
    );
  }
  if (buffer.row === 0) return buffer;
  const previous = line(buffer, buffer.row - 1);
  return replaceLines(
    buffer,
    buffer.row - 1,
    2,
    [previous + line(buffer, buffer.row)],
    buffer.row - 1,
    previous.length,
  );
}

function deleteForward(buffer: TextBuffer): TextBuffer {
  const current = line(buffer, buffer.row);
  if (buffer.col < current.length) {
    return replaceLines(
      buffer,
      buffer.row,
      1,
      [current.slice(0, buffer.col) + current.slice(buffer.col + 1)],
      buffer.row,
      buffer.col,
    );
  }
  if (buffer.row >= buffer.lines.length - 1) return buffer;
  return replaceLines(
    buffer,
    buffer.row,
    2,
    [current + line(buffer, buffer.row + 1)],
    buffer.row,
    buffer.col,
  );
}

/**
 * Apply one key press. `page` is how many lines PageUp/PageDown move. Unknown control keys leave the
 * buffer unchanged (the same object, so callers can tell nothing happened).
 */
export function edit(buffer: TextBuffer, key: EditKey, page = 10): TextBuffer {
  if (key.upArrow) return at(buffer, buffer.row - 1, buffer.col);
  if (key.downArrow) return at(buffer, buffer.row + 1, buffer.col);
  if (key.leftArrow) {
    if (buffer.col === 0 && buffer.row > 0)
      return at(buffer, buffer.row - 1, line(buffer, buffer.row - 1).length);
    return at(buffer, buffer.row, buffer.col - 1);
  }
  if (key.rightArrow) {
    if (buffer.col >= line(buffer, buffer.row).length && buffer.row < buffer.lines.length - 1)
      return at(buffer, buffer.row + 1, 0);
    return at(buffer, buffer.row, buffer.col + 1);
  }
  if (key.pageUp) return at(buffer, buffer.row - page, buffer.col);
  if (key.pageDown) return at(buffer, buffer.row + page, buffer.col);
  if (key.home || (key.ctrl && key.input === 'a')) return at(buffer, buffer.row, 0);
  if (key.end || (key.ctrl && key.input === 'e'))
    return at(buffer, buffer.row, line(buffer, buffer.row).length);
  if (key.return) return newline(buffer);
  if (key.tab) return insertText(buffer, INDENT);
  // Terminals send DEL (0x7f) for the Backspace key, which ink reports as `delete`: both erase backwards,
  // as in every terminal editor; Ctrl+D deletes forwards.
  if (key.backspace || key.delete) return backspace(buffer);
  if (key.ctrl && key.input === 'd') return deleteForward(buffer);
  if (key.ctrl && key.input === 'k') {
    const current = line(buffer, buffer.row);
    return replaceLines(buffer, buffer.row, 1, [current.slice(0, buffer.col)], buffer.row, buffer.col);
  }
  if (key.ctrl || key.meta || key.input === '') return buffer;
  return typeText(buffer, key.input);
}

/**
 * Type a run of characters. Terminals deliver fast typing and pastes as one chunk, which may hold DEL or
 * BS (erase backwards), CR or LF (new line) and tabs: each is applied in order; other control characters
 * are dropped.
 */
export function typeText(buffer: TextBuffer, text: string): TextBuffer {
  let next = buffer;
  let run = '';
  const flush = () => {
    if (run !== '') next = insertText(next, run);
    run = '';
  };
  for (const ch of text) {
    if (ch === '\x7f' || ch === '\b') {
      flush();
      next = backspace(next);
    } else if (ch === '\r' || ch === '\n') {
      flush();
      next = newline(next);
    } else if (ch === '\t') {
      run += INDENT;
    } else if (ch >= ' ') {
      run += ch;
    }
  }
  flush();
  return next;
}

/** First line to show so that the cursor stays inside a window of `height` lines. */
export function scrollTop(previousTop: number, row: number, height: number): number {
  if (height <= 0) return row;
  if (row < previousTop) return row;
  if (row >= previousTop + height) return row - height + 1;
  return previousTop;
}
