/**
 * Type-level tests of the generated API. `npm run typecheck` (part of `npm run check`) runs these through
 * tsc: every `@ts-expect-error` must really be an error there, or the check fails.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Envelope, EventPublisher, KeysMatching, PublishReceipt } from '../../runtime/index.js';
import {
  type AgentThreadPromptHandler,
  type BloodbankCatalog,
  type CommandType,
  createConsumers,
  createPublishers,
  type EventType,
  type FirefliesTranscriptReadyPayload,
  type FirefliesTranscriptReadyPayloadInput,
  type MeetingParticipant,
  registry,
  type ReplyOf,
  type TriggerType,
  TriggerTypeValues,
} from '../../generated/index.js';

const bus = {} as EventPublisher<BloodbankCatalog>;

describe('generated API types', () => {
  it('publish is keyed by routing key and typed by payload', () => {
    const publish = async () => {
      await bus.publish('llm.prompt', { provider: 'anthropic', prompt: 'hi' });
      // @ts-expect-error — unknown routing key
      await bus.publish('llm.promt', { provider: 'anthropic', prompt: 'hi' });
      // @ts-expect-error — prompt is required
      await bus.publish('llm.prompt', { provider: 'anthropic' });
      // @ts-expect-error — wrong type for temperature
      await bus.publish('llm.prompt', { provider: 'anthropic', prompt: 'hi', temperature: 'hot' });
      // @ts-expect-error — closed schema: no unknown fields
      await bus.publish('llm.prompt', { provider: 'anthropic', prompt: 'hi', colour: 'red' });
    };
    expectTypeOf(publish).toBeFunction();
    expectTypeOf(bus.publish<'llm.prompt'>).returns.resolves.toEqualTypeOf<
      PublishReceipt<'llm.prompt', BloodbankCatalog['llm.prompt']['payload']>
    >();
  });

  it('consumed payloads have every defaulted field; published ones may omit them', () => {
    expectTypeOf<FirefliesTranscriptReadyPayload['participants']>().toEqualTypeOf<MeetingParticipant[]>();
    expectTypeOf<FirefliesTranscriptReadyPayload>().toHaveProperty('speakers');
    expectTypeOf<Pick<FirefliesTranscriptReadyPayloadInput, 'speakers'>>().toEqualTypeOf<{
      speakers?: string[];
    }>();
    expectTypeOf<Pick<FirefliesTranscriptReadyPayload, 'speakers'>>().toEqualTypeOf<{ speakers: string[] }>();
  });

  it('enums are literal unions with a value array', () => {
    expectTypeOf<TriggerType>().toEqualTypeOf<(typeof TriggerTypeValues)[number]>();
    expectTypeOf<'manual'>().toExtend<TriggerType>();
    // @ts-expect-error — not a trigger type
    const bad: TriggerType = 'cron';
    void bad;
  });

  it('commands, replies and handlers', () => {
    expectTypeOf<CommandType>().toEqualTypeOf<'agent.thread.prompt'>();
    expectTypeOf<ReplyOf<'agent.thread.prompt'>>().toEqualTypeOf<
      BloodbankCatalog['agent.thread.response']['payload']
    >();
    const handler: AgentThreadPromptHandler = async (command) => ({
      provider: command.provider,
      response: `echo ${command.prompt}`,
    });
    void handler;
    // @ts-expect-error — the reply must be an agent.thread.response
    const wrong: AgentThreadPromptHandler = async () => ({ answer: 42 });
    void wrong;
  });

  it('topic patterns narrow the handler to the keys they match', () => {
    expectTypeOf<KeysMatching<'fireflies.#', EventType>>().toEqualTypeOf<
      | 'fireflies.transcript.failed'
      | 'fireflies.transcript.processed'
      | 'fireflies.transcript.ready'
      | 'fireflies.transcript.upload'
    >();
    expectTypeOf<KeysMatching<'*.thread.*', EventType>>().toEqualTypeOf<
      'agent.thread.error' | 'agent.thread.prompt' | 'agent.thread.response'
    >();
    expectTypeOf<KeysMatching<'llm.#', 'llm' | 'llm.prompt' | 'x.llm'>>().toEqualTypeOf<
      'llm' | 'llm.prompt'
    >();
    expectTypeOf<KeysMatching<'github.pr.created', EventType>>().toEqualTypeOf<'github.pr.created'>();
    expectTypeOf<KeysMatching<'nothing.*', EventType>>().toBeNever();
  });

  it('typed clients', () => {
    const pubs = createPublishers(bus);
    expectTypeOf(pubs.publishGithubPrCreated)
      .parameter(0)
      .toEqualTypeOf<BloodbankCatalog['github.pr.created']['input']>();
    const consumers = createConsumers({} as Parameters<typeof createConsumers>[0]);
    expectTypeOf(consumers.onLlmPrompt)
      .parameter(0)
      .parameter(0)
      .toEqualTypeOf<Envelope<'llm.prompt', BloodbankCatalog['llm.prompt']['payload']>>();
    expectTypeOf(registry.list()).items.toHaveProperty('validatePublish');
  });
});
