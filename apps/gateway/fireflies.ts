/**
 * The Fireflies transcript webhook, in the enriched shape the original mapped (reference §1.4): the
 * transcript under `data` (Fireflies' GraphQL `transcript` fields), or under `[0].content.data` when it
 * comes through n8n's RabbitMQ node. Mapping to `fireflies.transcript.ready`:
 * - `date` is epoch milliseconds (an ISO string is accepted too) → ISO date-time;
 * - `summary` = `data.summary.overview` (a plain string is kept);
 * - `participants` from `data.meeting_attendees[{name|displayName, email}]`;
 * - `speakers` = the speakers' names; `user` = the Fireflies user's six fields (the others are dropped,
 *   as the original's `extra=ignore` did); sentence numbers given as strings are read as numbers;
 * - `raw_meeting_info` = `data.meeting_info`; the event id is deterministic from the transcript id, so
 *   Fireflies' redeliveries publish the same event_id.
 *
 * `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with `FIREFLIES_WEBHOOK_SECRET`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { formatTimestamp } from 'bloodbank/envelope.js';

export const READY = 'fireflies.transcript.ready';
export const FAILED = 'fireflies.transcript.failed';

/** Whether `header` is `sha256=<hex HMAC of body>` under `secret` (constant-time comparison). */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (header === undefined) return false;
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m?.[1]) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(m[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function sign(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface MapResult {
  readonly transcriptId: string | null;
  /** The ready payload (still to be validated), or why the body cannot be mapped. */
  readonly payload: Record<string, unknown> | null;
  readonly problems: readonly string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The transcript object of a webhook body, in either shape. */
export function transcriptData(body: unknown): Obj | null {
  if (isObj(body) && isObj(body['data'])) return body['data'];
  if (Array.isArray(body)) {
    const first: unknown = body[0];
    if (isObj(first) && isObj(first['content']) && isObj(first['content']['data']))
      return first['content']['data'];
  }
  return null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
}

function num(v: unknown): unknown {
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return v;
}

function isoDate(v: unknown): string | null {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isFinite(n)) {
    const d = new Date(n);
    return Number.isNaN(d.getTime()) ? null : formatTimestamp(d);
  }
  if (typeof n === 'string' && !Number.isNaN(Date.parse(n))) return n;
  return null;
}

const USER_FIELDS = ['user_id', 'email', 'name', 'num_transcripts', 'minutes_consumed', 'is_admin'] as const;
const FILTER_FIELDS = [
  'text_cleanup',
  'task',
  'pricing',
  'metric',
  'question',
  'date_and_time',
  'sentiment',
] as const;

function sentence(s: unknown): unknown {
  if (!isObj(s)) return s;
  const filters = isObj(s['ai_filters'])
    ? Object.fromEntries(
        FILTER_FIELDS.filter((f) => f in (s['ai_filters'] as Obj)).map((f) => [
          f,
          (s['ai_filters'] as Obj)[f],
        ]),
      )
    : s['ai_filters'];
  return {
    index: num(s['index']),
    speaker_name: s['speaker_name'] ?? null,
    speaker_id: num(s['speaker_id']),
    raw_text: s['raw_text'] ?? s['text'],
    text: s['text'],
    start_time: num(s['start_time']),
    end_time: num(s['end_time']),
    ai_filters: filters,
  };
}

/** Map a webhook body; `payload` is null when it has no transcript at all or no usable id/date. */
export function mapFirefliesWebhook(body: unknown): MapResult {
  const data = transcriptData(body);
  if (!data)
    return {
      transcriptId: isObj(body) ? str(body['meetingId']) : null,
      payload: null,
      problems: ['no transcript in the body: expected {"data": {…}} or [{"content": {"data": {…}}}]'],
    };
  const problems: string[] = [];
  const transcriptId =
    str(data['id']) ?? str(data['transcript_id']) ?? (isObj(body) ? str(body['meetingId']) : null);
  if (transcriptId === null) problems.push('data.id (the transcript id) is missing');
  const date = isoDate(data['date'] ?? data['dateString']);
  if (date === null) problems.push('data.date must be epoch milliseconds or an ISO date-time');
  if (problems.length > 0) return { transcriptId, payload: null, problems };

  const summary = data['summary'];
  const attendees = Array.isArray(data['meeting_attendees']) ? data['meeting_attendees'] : [];
  const speakers = Array.isArray(data['speakers']) ? data['speakers'] : [];
  const user = isObj(data['user'])
    ? Object.fromEntries(
        USER_FIELDS.filter((f) => f in (data['user'] as Obj)).map((f) => [f, (data['user'] as Obj)[f]]),
      )
    : data['user'];
  const payload: Obj = {
    id: transcriptId,
    title: data['title'],
    date,
    duration: num(data['duration']),
    transcript_url: data['transcript_url'],
    audio_url: data['audio_url'] ?? null,
    video_url: data['video_url'] ?? null,
    sentences: Array.isArray(data['sentences']) ? data['sentences'].map(sentence) : data['sentences'],
    summary: isObj(summary) ? (summary['overview'] ?? null) : (summary ?? null),
    participants: attendees.map((a: unknown) =>
      isObj(a) ? { name: a['name'] ?? a['displayName'] ?? a['email'], email: a['email'] ?? null } : a,
    ),
    speakers: speakers.map((s: unknown) => (isObj(s) ? s['name'] : s)),
    user,
    host_email: data['host_email'],
    organizer_email: data['organizer_email'],
    privacy: data['privacy'],
    meeting_link: data['meeting_link'] ?? null,
    calendar_id: data['calendar_id'] ?? null,
    calendar_type: data['calendar_type'] ?? null,
    raw_meeting_info: isObj(data['meeting_info']) ? data['meeting_info'] : null,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return { transcriptId, payload, problems };
}
