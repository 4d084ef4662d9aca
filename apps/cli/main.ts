#!/usr/bin/env node
/**
 * `bb`: the Bloodbank command line. This module only declares the commands; each action imports its
 * implementation (and with it amqplib, ioredis, the registry…) when it runs, so `bb --help` stays fast.
 * Exit codes are listed in `EXIT` (support/errors.ts) and printed by `bb --help`.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { GlobalOptions } from './support/context.js';
import { debugFromEnv } from 'bloodbank/config.js';
import { EXIT, toCliError } from './support/errors.js';

const program = new Command('bb')
  .description(
    'Bloodbank: schema-first event bus for RabbitMQ — browse, publish, tail, trace and serve events',
  )
  .version('0.1.0')
  .option(
    '--registry <module>',
    'module exporting the event registry (default: BLOODBANK_REGISTRY, else the built-in)',
  )
  .enablePositionalOptions()
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid payload, 4 not found, 5 RabbitMQ/Redis/gateway unreachable,
6 unroutable (nobody bound), 7 timeout or command failed, 8 doctor found a problem.

Examples:
  $ bb list-events --domain llm
  $ bb publish llm.prompt --mock
  $ bb tail 'llm.#'
  $ bb trace 3f0c1e9a-5b7d-4c2e-9a81-0d6f2b4c8e17`,
  );

type Action = (globals: GlobalOptions, ...args: never[]) => Promise<number | void>;

/** Runs a lazily imported action; `process.exitCode` carries its result. */
function lazy<M>(load: () => Promise<M>, pick: (m: M) => Action) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    const action = pick(await load());
    const code = await (action as (g: GlobalOptions, ...rest: unknown[]) => Promise<number | void>)(
      globals,
      ...args.slice(0, -1),
    );
    process.exitCode = code ?? EXIT.ok;
  };
}

const catalog = () => import('./commands/catalog.js');
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

program
  .command('list-events')
  .description('list the event types of the registry, grouped by domain')
  .option('-d, --domain <domain>', 'only this domain (first token, or a group such as agent/thread)')
  .addOption(new Option('-k, --kind <kind>', 'only events (facts) or commands').choices(['event', 'command']))
  .option('--json', 'print JSON')
  .addHelpText('after', '\nExample:\n  $ bb list-events --domain fireflies --json')
  .action(lazy(catalog, (m) => m.listEvents));

program
  .command('list-commands')
  .description(
    'list the commands (event types a command processor executes) with their reply and failure types',
  )
  .option('-d, --domain <domain>', 'only this domain')
  .option('--json', 'print JSON')
  .addHelpText('after', '\nExample:\n  $ bb list-commands')
  .action(lazy(catalog, (m) => m.listCommands));

program
  .command('show')
  .description('show one event type: kind, reply and failure types, JSON Schema and an example')
  .argument('<type>', 'routing key (llm.prompt) or payload type name (LlmPromptPayload)')
  .option('--json', 'print JSON')
  .addHelpText('after', '\nExample:\n  $ bb show agent.thread.prompt')
  .action(lazy(catalog, (m) => m.show));

program
  .command('diff')
  .description('classify every payload change against an older contract (the codegen contract report)')
  .option('--against <ref>', 'compare with asyncapi.yaml as it was at this git commit (main, HEAD~1)')
  .option('--base <file>', 'compare with this older document instead')
  .option('--input <file>', 'the new document', 'asyncapi.yaml')
  .option('--mode <mode>', 'full|backward|forward|none for channels that do not say')
  .option('--json', 'print { compatible, changes: [...] }')
  .option('--color', 'colour the report (default: when stdout is a terminal)')
  .addHelpText(
    'after',
    '\nExit codes: 0 compatible, 1 breaking, 2 invalid input.\n\nExample:\n  $ bb diff --against main',
  )
  .action(
    lazy(
      () => import('./commands/contract-diff.js'),
      (m) => m.diff,
    ),
  );

program
  .command('publish')
  .description('validate a payload and publish it; prints the event_id')
  .argument('<type>', 'routing key of the event (bb list-events)')
  .argument('[source]', '`-` to read the payload (JSON) from stdin')
  .option('-m, --mock', 'generate a schema-valid payload')
  .option('--seed <n>', 'seed of --mock (reproducible payloads)', parseInteger)
  .option('--data <json>', 'the payload as JSON')
  .option('-f, --file <path>', 'read the payload (JSON) from a file')
  .option('-p, --parent <id>', 'parent (causation) event id; repeatable', collect)
  .option('--id-key <key=value>', 'field of a deterministic event id (DESIGN §6); repeatable', collect)
  .option(
    '--param <name=value>',
    'value of a {placeholder} of the channel address (bb show lists them); repeatable',
    collect,
  )
  .option('--routing-key <key>', 'the routing key, for a channel whose address is null')
  .option('--dry-run', 'validate and print the envelope without publishing')
  .addOption(
    new Option('--via <transport>', 'publish through RabbitMQ or the HTTP gateway')
      .choices(['amqp', 'http'])
      .default('amqp'),
  )
  .option('--allow-unroutable', 'do not fail when no queue is bound for the routing key')
  .option('--json', 'print the published envelope as JSON')
  .addHelpText(
    'after',
    `
Examples:
  $ bb publish llm.prompt --mock
  $ bb publish llm.prompt --data '{"provider":"anthropic","prompt":"hi"}' --parent <event-id>
  $ echo '{"kind":"file","uri":"file:///tmp/a"}' | bb publish artifact.created - --id-key uri=file:///tmp/a
  $ BLOODBANK_URL=http://localhost:8682 BLOODBANK_API_KEY=… bb publish llm.prompt --mock --via http
  $ bb --registry ./their/generated/registry.js publish lightTurnOn --mock --param streetlightId=lamp7`,
  )
  .action(
    lazy(
      () => import('./commands/publish.js'),
      (m) => m.publish,
    ),
  );

program
  .command('id')
  .description('print the deterministic event id the original Bloodbank computes for these fields')
  .argument('<type>', 'routing key')
  .argument('<fields...>', 'key=value pairs; values as Python str() renders them (True, None, 1.0)')
  .addHelpText(
    'after',
    '\nExample:\n  $ bb id github.pr.created repo_owner=delorenj repo_name=trinote pr_number=423',
  )
  .action(
    lazy(
      () => import('./commands/id.js'),
      (m) => m.id,
    ),
  );

program
  .command('publish-prompt')
  .description('publish the agent.thread.prompt command; with --wait print the reply')
  .argument('<provider>', 'LLM provider (anthropic, openai, …)')
  .argument('<prompt>', 'the prompt')
  .option('--model <model>', 'model name')
  .option('--project <name>', 'project (default: the git repository of the current directory)')
  .option('--tag <tag>', 'tag; repeatable', collect)
  .option('--wait', 'wait for the command processor’s reply and print it')
  .option('--timeout <seconds>', 'how long --wait waits', parseNumber, 120)
  .option('--json', 'print JSON')
  .addHelpText(
    'after',
    '\nExample:\n  $ bb publish-prompt anthropic "Summarise README.md" --model claude-sonnet-4-5 --wait',
  )
  .action(
    lazy(
      () => import('./commands/publish-prompt.js'),
      (m) => m.publishPrompt,
    ),
  );

program
  .command('wrap')
  .description('run an LLM CLI, pass stdin through, tee its output, and publish llm.prompt then llm.response')
  .argument('<program>', 'the program to run')
  .argument('[args...]', 'its arguments (after --)')
  .option('--provider <provider>', 'provider recorded in the events', 'other')
  .option('--model <model>', 'model recorded in the events')
  .passThroughOptions()
  .addHelpText(
    'after',
    '\nExample:\n  $ echo "explain this diff" | bb wrap --provider anthropic claude -- -p',
  )
  .action(
    lazy(
      () => import('./commands/wrap.js'),
      (m) => m.wrap,
    ),
  );

program
  .command('tail')
  .description('print live events from a temporary queue, one line each (time, type, id, payload)')
  .argument('[patterns...]', 'topic patterns (* one word, # any words)', ['#'])
  .option('-n, --count <n>', 'exit after this many events', parseInteger)
  .option('--timeout <seconds>', 'exit after this long (status 7 if --count was not reached)', parseNumber)
  .option('--json', 'print JSON lines')
  .addHelpText('after', "\nExamples:\n  $ bb tail\n  $ bb tail 'fireflies.#' 'llm.*' --json --count 10")
  .action(
    lazy(
      () => import('./commands/tail.js'),
      (m) => m.tail,
    ),
  );

program
  .command('setup')
  .description(
    'declare the exchange and the history stream ${EXCHANGE_NAME}.history bound with # (idempotent)',
  )
  .option('--no-history', 'declare the exchange only (events nobody subscribes to stay unroutable)')
  .option('--json', 'print JSON')
  .addHelpText('after', '\nExample:\n  $ bb setup && bb publish llm.prompt --mock')
  .action(
    lazy(
      () => import('./commands/setup.js'),
      (m) => m.setup,
    ),
  );

program
  .command('history')
  .description('print stored events from the history stream, oldest first (bb setup creates it)')
  .argument('[pattern]', 'topic pattern on the routing key (default #)')
  .option('--since <when>', 'from this time or this long ago (10m, 2h, 7d, 2026-12-05T01:00:00Z)')
  .option('--until <when>', 'up to this time or this long ago (default: the end of the stream)')
  .option('--correlation <id>', 'only this event, its workflow and its children')
  .option('-n, --limit <n>', 'at most this many events', parseInteger)
  .option('--json', 'print JSON lines')
  .addHelpText(
    'after',
    "\nExamples:\n  $ bb history 'llm.#' --since 10m\n  $ bb history --correlation <event-id> --json",
  )
  .action(
    lazy(
      () => import('./commands/history.js'),
      (m) => m.history,
    ),
  );

program
  .command('replay')
  .description("send stored events into one service's queue, in order, with their event ids")
  .requiredOption('--to <service>', 'service name (its queue ${EXCHANGE_NAME}.<service>.q) or queue name')
  .option('--since <when>', 'from this time or this long ago (10m, 2h, 7d, ISO time)')
  .option('--until <when>', 'up to this time or this long ago (default: the end of the stream)')
  .option('--pattern <pattern>', 'topic pattern on the routing key; repeatable (default #)', collect)
  .option('--correlation <id>', 'only this event, its workflow and its children')
  .option('-n, --limit <n>', 'at most this many events', parseInteger)
  .option('--dry-run', 'list what would be sent, send nothing')
  .option('--force', 'an idempotent consumer handles the events again (header bb-replay-force)')
  .option('--json', 'print a JSON summary')
  .addHelpText(
    'after',
    "\nExamples:\n  $ bb replay --to my_service --since 2h --pattern 'llm.#'\n  $ bb replay --to my_service --since 1d --dry-run",
  )
  .action(
    lazy(
      () => import('./commands/replay.js'),
      (m) => m.replay,
    ),
  );

program
  .command('trace')
  .description('draw the causation chain of an event as a tree (from Redis)')
  .argument('<event-id>', 'the event id')
  .addOption(
    new Option('--direction <direction>', 'parents, children or both')
      .choices(['ancestors', 'descendants', 'both'])
      .default('both'),
  )
  .option('--json', 'print JSON')
  .addHelpText(
    'after',
    '\nExample:\n  $ bb trace 3f0c1e9a-5b7d-4c2e-9a81-0d6f2b4c8e17 --direction descendants',
  )
  .action(
    lazy(
      () => import('./commands/trace.js'),
      (m) => m.trace,
    ),
  );

program
  .command('watch')
  .description(
    'publish artifact.created / artifact.updated / artifact.deleted for files changing under a path',
  )
  .argument('[path]', 'directory to watch (default: WATCH_PATH, else .wx)')
  .option('--ignore <glob>', 'ignore paths matching this glob (relative to the path); repeatable', collect)
  .option('--debounce <ms>', 'collapse the changes of one file within this window', parseInteger, 300)
  .option('--kind <kind>', 'artifact kind recorded in the events', 'file')
  .option('--json', 'print JSON lines')
  .addHelpText('after', "\nExample:\n  $ bb watch ./notes --ignore '**/*.tmp' --debounce 500")
  .action(
    lazy(
      () => import('./commands/watch.js'),
      (m) => m.watch,
    ),
  );

const dlq = program
  .command('dlq')
  .description('dead letters of a service: list queues, peek, redrive, purge')
  .addHelpText(
    'after',
    '\nExamples:\n  $ bb dlq list command_processor\n  $ bb dlq redrive command_processor --limit 10',
  );
const dlqModule = () => import('./commands/dlq.js');
dlq
  .command('list')
  .description('the service’s main, retry and dead-letter queues with their depth')
  .argument(
    '[service]',
    'service name or queue name (default: every service with a dead-letter queue, found through the management API, and every command queue)',
  )
  .option('--json', 'print JSON')
  .action(lazy(dlqModule, (m) => m.dlqList));
dlq
  .command('peek')
  .description('show dead letters without removing them')
  .argument('<service>', 'service name or queue name')
  .option('-n, --count <n>', 'how many', parseInteger, 10)
  .option('--json', 'print JSON')
  .action(lazy(dlqModule, (m) => m.dlqPeek));
dlq
  .command('redrive')
  .description('move dead letters back to the service’s main queue')
  .argument('<service>', 'service name or queue name')
  .option('--limit <n>', 'at most this many', parseInteger)
  .option('--json', 'print JSON')
  .action(lazy(dlqModule, (m) => m.dlqRedrive));
dlq
  .command('purge')
  .description('delete every dead letter of the service')
  .argument('<service>', 'service name or queue name')
  .option('-y, --yes', 'confirm')
  .option('--json', 'print JSON')
  .action(lazy(dlqModule, (m) => m.dlqPurge));

const broker = program
  .command('broker')
  .description('least-privilege RabbitMQ users and permissions from the policy beside the contract');
const brokerModule = () => import('./commands/broker.js');
const withPolicyOptions = (command: Command) =>
  command
    .option('--policy <file>', 'the policy (default: ./policy.yaml, else the catalogue’s)')
    .option('--passwords <file>', 'service=password lines (default: BLOODBANK_BROKER_PASSWORDS)')
    .option('--generate-passwords', 'add random passwords for services without one to the passwords file')
    .option('--vhost <vhost>', 'virtual host (default: the one in RABBIT_URL, else /)');
withPolicyOptions(
  broker
    .command('definitions')
    .description('print the RabbitMQ definitions document (rabbitmqctl import_definitions format)'),
)
  .addHelpText(
    'after',
    '\nExample:\n  $ bb broker definitions --passwords ~/.bloodbank/broker-passwords > defs.json',
  )
  .action(lazy(brokerModule, (m) => m.definitions));
withPolicyOptions(
  broker
    .command('apply')
    .description('show the changes, then apply the definitions (management API, else rabbitmqctl)'),
)
  .option('--dry-run', 'only show the plan')
  .option('--ctl', 'use rabbitmqctl even when the management API answers')
  .option('--rabbitmqctl <path>', 'the rabbitmqctl executable')
  .option('--node <name>', 'rabbitmqctl -n <node>')
  .addHelpText('after', '\nExample:\n  $ bb broker apply --dry-run --passwords ~/.bloodbank/broker-passwords')
  .action(lazy(brokerModule, (m) => m.apply));

program
  .command('unbind')
  .description(
    'remove a pattern a service no longer subscribes to from its queue (its events are dead-lettered as not-subscribed)',
  )
  .argument('<service>', 'service name, command key or queue name')
  .argument('<pattern>', 'the binding pattern to remove, e.g. llm.#')
  .option('--json', 'print JSON')
  .addHelpText('after', "\nExample:\n  $ bb unbind my_service 'llm.#'")
  .action(
    lazy(
      () => import('./commands/unbind.js'),
      (m) => m.unbind,
    ),
  );

program
  .command('doctor')
  .description('check RabbitMQ, Redis, the exchange, queue depths and generated/ against the schemas')
  .option('--service <name>', 'also report this service’s queues; repeatable', collect)
  .option('--json', 'print JSON')
  .addHelpText('after', '\nExample:\n  $ bb doctor --service command_processor')
  .action(
    lazy(
      () => import('./commands/doctor.js'),
      (m) => m.doctor,
    ),
  );

const serve = program
  .command('serve')
  .description('start a service in the foreground')
  .addHelpText('after', '\nExamples:\n  $ bb serve gateway --port 8682\n  $ bb serve commands');
serve
  .command('gateway')
  .description('the HTTP gateway (POST /events/<tokens>, health, correlation, live stream)')
  .option('--host <host>', 'listen address (default HTTP_HOST)')
  .option('--port <port>', 'listen port (default HTTP_PORT)', parseInteger)
  .action(
    lazy(
      () => import('./commands/serve.js'),
      (m) => m.serveGatewayCommand,
    ),
  );
serve
  .command('commands')
  .description('the command processor: executes commands and publishes their replies')
  .option('--concurrency <n>', 'commands at once per command key', parseInteger)
  .option('--port <port>', 'serve /healthz and /metrics on this port', parseInteger)
  .action(
    lazy(
      () => import('./commands/serve.js'),
      (m) => m.serveCommandsCommand,
    ),
  );

program
  .command('mcp')
  .description('MCP server over stdio: registry-generated tools for AI agents')
  .addHelpText(
    'after',
    '\nExample (client configuration):\n  { "mcpServers": { "bloodbank": { "command": "bb", "args": ["mcp"] } } }',
  )
  .action(
    lazy(
      () => import('./mcp/server.js'),
      (m) => m.mcpCommand,
    ),
  );

program
  .command('tui')
  .description('terminal UI: browse event types, edit and publish payloads, watch the live stream')
  .option('--pattern <pattern>', 'topic pattern of the live pane', '#')
  .addHelpText('after', '\nExample:\n  $ bb tui')
  .action(
    lazy(
      () => import('./commands/serve.js'),
      (m) => m.tuiCommand,
    ),
  );

function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number.');
  return n;
}

function parseNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number.');
  return n;
}

async function main(): Promise<void> {
  try {
    await program.parseAsync();
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok =
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help';
      process.exitCode = ok ? EXIT.ok : EXIT.usage;
    } else {
      const cli = toCliError(error);
      process.stderr.write(`bb: ${cli.message}\n`);
      if (debugFromEnv() && error instanceof Error) process.stderr.write(`${error.stack}\n`);
      process.exitCode = cli.exitCode;
    }
  }
  // Services (serve, mcp, tail, watch) resolve their action only once they stopped; nothing should be
  // left, but a stray handle must not keep a finished command alive.
  process.exit();
}

void main();
