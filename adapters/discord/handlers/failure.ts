import { toKbError } from '../../../src/errors.ts';
import type { Logger } from '../../../src/logger.ts';

/**
 * Logs the cause of a failed answer and returns the short text the user sees: the
 * KbError's userMessage, never a stack trace. Expected refusals (bad input, rate limit)
 * are logged at info, everything else at error.
 */
export function reportFailure(logger: Logger, err: unknown, meta: Record<string, unknown>): string {
  const kb = toKbError(err);
  const expected = kb.code.startsWith('input/') || kb.code === 'rate/limited';
  const cause = kb === err ? (kb.cause ?? kb) : err;
  logger[expected ? 'info' : 'error']({ ...meta, code: kb.code, err: cause }, 'discord: could not answer');
  return kb.userMessage;
}
