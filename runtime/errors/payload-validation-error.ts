import type { ValidationIssue } from '../registry.js';
import { BloodbankError } from './bloodbank-error.js';

/**
 * A payload (or envelope) failed its schema. Carries every issue with its JSON pointer and rule.
 * Message form: `cannot publish fireflies.transcript.ready: payload/duration must be <= 86400`.
 */
export class PayloadValidationError extends BloodbankError {
  override name = 'PayloadValidationError' as const;
  readonly eventType: string;
  readonly issues: readonly ValidationIssue[];
  constructor(action: string, eventType: string, issues: readonly ValidationIssue[]) {
    super(`cannot ${action} ${eventType}: ${formatIssues(issues)}`);
    this.eventType = eventType;
    this.issues = issues;
  }
}

export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.pointer.replace(/^\//, '') || '(root)'} ${i.message}`).join('; ');
}

export function isPayloadValidationError(error: unknown): error is PayloadValidationError {
  return error instanceof PayloadValidationError;
}
