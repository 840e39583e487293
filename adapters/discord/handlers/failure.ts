import { logFailure } from '../../../src/assistant/delivery.ts';
import type { Logger } from '../../../src/logger.ts';

/**
 * Logs the cause of a failed answer at the level the core's errors table gives its code, and
 * returns the short text the user sees: the KbError's userMessage, never a stack trace.
 */
export function reportFailure(logger: Logger, err: unknown, meta: Record<string, unknown>): string {
  return logFailure({ platform: 'discord', logger }, err, meta);
}
