/** The hand-made registry of a document we did not write (test/fixtures/apps/foreign-definitions.mjs). */
import { createRegistry, type Registry } from '../../../runtime/registry.js';
import { definitions } from '../../fixtures/apps/foreign-definitions.mjs';

export const foreignRegistry: Registry = createRegistry(definitions, null);
