/** The command handlers this repository ships, and their LLM providers. */
import type { BloodbankCatalog } from '../../generated/index.js';
import type { CommandManager } from 'bloodbank';
import { agentThreadPromptHandler, type AgentThreadPromptOptions } from './agent-thread-prompt.js';

export { agentThreadPromptHandler } from './agent-thread-prompt.js';
export type { AgentThreadPromptOptions } from './agent-thread-prompt.js';
export * from './providers/index.js';

export type HandlersOptions = AgentThreadPromptOptions;

/** Register every shipped handler (today: agent.thread.prompt) on a manager. */
export function registerHandlers(
  manager: CommandManager<BloodbankCatalog>,
  options: HandlersOptions,
): CommandManager<BloodbankCatalog> {
  return manager.register('agent.thread.prompt', agentThreadPromptHandler(options));
}
