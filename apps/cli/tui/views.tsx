/**
 * What the workbench draws, as pure functions of what it shows: the event tree, the help, the payload
 * editor, the schema viewer, the live pane, and the status and hint lines. The state lives in model.ts
 * (kept by app.tsx), the keys in keys.ts; nothing here reads or changes it.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { EventDefinition } from 'bloodbank/registry.js';
import type { TextBuffer } from './editor.js';
import type { LiveEvent, LiveStatus } from './live.js';
import type { SchemaRow } from './schema-rows.js';
import type { TreeNode } from './tree.js';

export type Focus = 'tree' | 'main' | 'live';
export type View = 'payload' | 'schema';
export type Tone = 'info' | 'ok' | 'error';

export interface Prompt {
  readonly label: string;
  readonly value: string;
  readonly submit: (value: string) => void;
}

export interface Status {
  readonly text: string;
  readonly tone: Tone;
}

export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length > width) return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
  return text + ' '.repeat(width - chars.length);
}

/** A bordered pane with a bold one-line title (already fitted to its inner width). */
export function Pane(props: {
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

function clampTo(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** The visible rows of the event tree, the cursor row inverted when the tree has the focus. */
export function treeLines(props: {
  readonly visible: readonly TreeNode[];
  readonly top: number;
  readonly cursor: number;
  readonly height: number;
  readonly width: number;
  readonly expanded: ReadonlySet<string>;
  readonly selected: string | null;
  readonly focused: boolean;
}): ReactNode[] {
  const { visible, top, height, width, expanded } = props;
  return visible.slice(top, top + height).map((node, i) => {
    const index = top + i;
    const cursor = index === props.cursor;
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
    const body = fit(label, width - tag.length) + tag;
    return (
      <Text
        key={node.id}
        wrap="truncate"
        inverse={cursor && props.focused}
        bold={node.event?.key === props.selected}
        {...(node.event?.kind === 'command' ? { color: 'yellow' } : {})}
      >
        {body}
      </Text>
    );
  });
}

/** The right pane before an event is picked: the keys. */
export function helpLines(width: number): ReactNode[] {
  return [
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
      {fit(line, width)}
    </Text>
  ));
}

/** The payload editor: numbered lines (✗ on lines with issues), the cursor, then the issue lines. */
export function editorLines(props: {
  readonly buffer: TextBuffer;
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
  readonly paneWidth: number;
  readonly badLines: ReadonlySet<number>;
  readonly issueLines: readonly { readonly text: string; readonly tone: Tone }[];
  readonly showCursor: boolean;
}): ReactNode {
  const { buffer, top, left, height, width, paneWidth, badLines, issueLines } = props;
  const lines = buffer.lines.slice(top, top + height);
  return (
    <>
      {lines.map((line, i) => {
        const row = top + i;
        const bad = badLines.has(row);
        const number = `${bad ? '✗' : ' '}${String(row + 1).padStart(3)} `;
        const visible = line.slice(left, left + width);
        const isCursorRow = row === buffer.row && props.showCursor;
        if (!isCursorRow)
          return (
            <Text key={row} wrap="truncate">
              <Text color={bad ? 'red' : 'gray'}>{number}</Text>
              {fit(visible, width)}
            </Text>
          );
        const c = buffer.col - left;
        return (
          <Text key={row} wrap="truncate">
            <Text color={bad ? 'red' : 'cyan'}>{number}</Text>
            {visible.slice(0, c)}
            <Text inverse>{visible[c] ?? ' '}</Text>
            {fit(visible.slice(c + 1), Math.max(0, width - c - 1))}
          </Text>
        );
      })}
      {Array.from({ length: Math.max(0, height - lines.length) }, (_, i) => (
        <Text key={`pad${i}`}>{fit('', paneWidth)}</Text>
      ))}
      {issueLines.map((line, i) => (
        <Text key={`issue${i}`} wrap="truncate" color={line.tone === 'ok' ? 'green' : 'red'}>
          {fit(line.text, paneWidth)}
        </Text>
      ))}
    </>
  );
}

/** The schema viewer: title, reply or routing key, the field table from `top`, the field's description. */
export function schemaLines(props: {
  readonly definition: EventDefinition;
  readonly schema: readonly SchemaRow[];
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
}): ReactNode {
  const { definition, schema, top, width, height } = props;
  const head = [
    definition.title,
    definition.kind === 'command'
      ? `reply → ${definition.replyKey ?? '—'} · failure → ${definition.errorKey ?? '—'}`
      : `event on exchange, routing key ${definition.key}`,
  ];
  const detailRow = schema[top];
  const detailText = detailRow ? `${detailRow.path}: ${detailRow.description}` : '';
  const detail = [detailText.slice(0, width), detailText.slice(width)];
  const tableHeight = Math.max(1, height - 1 - head.length - 2);
  const table = schema.slice(top, top + tableHeight);
  return (
    <>
      {head.map((line, i) => (
        <Text key={`h${i}`} wrap="truncate" dimColor={i > 0}>
          {fit(line, width)}
        </Text>
      ))}
      {table.map((row, i) => {
        const name = `${'  '.repeat(row.depth)}${row.path.split('.').pop() ?? row.path}${row.required ? '*' : ''}`;
        const line = `${fit(name, 22)} ${fit(row.type, 14)} ${row.constraints.join(', ')}`;
        return (
          <Text key={row.path} wrap="truncate" inverse={i === 0 && props.focused}>
            {fit(line, width)}
          </Text>
        );
      })}
      {Array.from({ length: Math.max(0, tableHeight - table.length) }, (_, i) => (
        <Text key={`pad${i}`}>{fit('', width)}</Text>
      ))}
      {detail.map((line, i) => (
        <Text key={`d${i}`} wrap="truncate" color="gray">
          {fit(line, width)}
        </Text>
      ))}
    </>
  );
}

/** The live pane's title and its lines, scrolled to keep the selected event (or the newest) in view. */
export function liveLines(props: {
  readonly live: readonly LiveEvent[];
  /** Index of the selected event; -1 when the live pane has not the focus. */
  readonly selected: number;
  readonly width: number;
  readonly height: number;
  readonly pattern: string;
  readonly status: { readonly status: LiveStatus; readonly detail?: string };
}): { title: string; lines: ReactNode } {
  const { live, selected, width, height, pattern, status } = props;
  const start = clampTo(
    selected >= 0 ? selected - height + 1 : live.length - height,
    0,
    Math.max(0, live.length - height),
  );
  const shown = live.slice(start, start + height);
  const title = `Live · ${pattern} · ${live.length} event${live.length === 1 ? '' : 's'}${
    status.status === 'connected' ? '' : ` · ${status.status}${status.detail ? `: ${status.detail}` : ''}`
  }`;
  const lines = (
    <>
      {shown.map((event, i) => {
        const line = `${time(event.receivedAt)} ${event.routingKey}  ${(event.eventId ?? '-').slice(0, 8)}  ${oneLine(event.payload)}`;
        return (
          <Text key={event.seq} wrap="truncate" inverse={start + i === selected}>
            {fit(line, width)}
          </Text>
        );
      })}
      {live.length === 0 ? (
        <Text wrap="truncate" color="gray">
          {fit(`waiting for events matching ${pattern} (f changes the pattern)`, width)}
        </Text>
      ) : null}
    </>
  );
  return { title, lines };
}

/** The keys of the focused pane (none while a prompt is open). */
export function hintsFor(prompting: boolean, focus: Focus, view: View): string | null {
  if (prompting) return null;
  if (focus === 'main' && view === 'payload')
    return 'type to edit · Esc back · ^P publish · ^G mock · ^O load · ^S save';
  if (focus === 'main') return '↑↓ scroll · s payload · Esc/Tab pane · p publish · q quit';
  if (focus === 'live') return '↑↓ pick · ⏎ open in editor · f pattern · c clear · Tab pane · q quit';
  return '↑↓←→ move · ⏎ edit · s schema · m mock · l/w load/save · p publish · q quit';
}

/** The status line, then the open prompt or the hints. */
export function bottomLines(props: {
  readonly status: Status;
  readonly prompt: Prompt | null;
  readonly hints: string | null;
  readonly columns: number;
}): ReactNode {
  const { status, prompt, hints, columns } = props;
  return (
    <>
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
    </>
  );
}
