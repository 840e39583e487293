/**
 * One error taxonomy for the whole system. Every failure a user can see is a KbError
 * with a stable `code` (`surface/reason`) and a short `userMessage`; the `cause` goes
 * to the logs only. Adapters and the CLI render `userMessage`, never a stack trace.
 */
export type ErrorCode =
  | 'config/invalid'
  | 'input/empty_question'
  | 'input/question_too_long'
  | 'input/unreadable_file'
  | 'input/invalid_argument'
  | 'db/unavailable'
  | 'db/no_pgvector'
  | 'db/migration_failed'
  | 'store/model_mismatch'
  | 'store/concurrent_change'
  | 'web/unreachable'
  | 'web/refused'
  | 'embeddings/unavailable'
  | 'llm/unavailable'
  | 'rate/limited'
  | 'scope/unassigned'
  | 'service/draining'
  | 'service/busy'
  | 'internal/unexpected';

/** How a failure is logged: expected refusals at info, the system's own faults at error. */
export type LogLevel = 'info' | 'warn' | 'error';

/**
 * The one table deciding, per code, what a user is told (unless the error carries a more
 * precise message, e.g. a retry time) and the level its cause is logged at. Bad input, a
 * rate limit and a restart's drain are expected: the user is told why, the log says so at info.
 */
export const errorPolicy: Record<ErrorCode, { userMessage: string; log: LogLevel }> = {
  'config/invalid': { userMessage: 'The configuration is invalid.', log: 'error' },
  'input/empty_question': { userMessage: 'Please ask a question, e.g. "How do I create a partial index?"', log: 'info' },
  'input/question_too_long': { userMessage: 'That question is too long; please shorten it.', log: 'info' },
  'input/unreadable_file': { userMessage: 'A file could not be read.', log: 'info' },
  'input/invalid_argument': { userMessage: 'Invalid argument.', log: 'info' },
  'db/unavailable': { userMessage: 'The knowledge base is unavailable, try again shortly.', log: 'error' },
  'db/no_pgvector': { userMessage: 'The PostgreSQL server has no pgvector extension: run scripts/install-pgvector.sh on the server.', log: 'error' },
  'db/migration_failed': { userMessage: 'The database schema could not be updated.', log: 'error' },
  'store/model_mismatch': { userMessage: 'The knowledge base was embedded with a different model.', log: 'error' },
  'store/concurrent_change': { userMessage: 'Another ingest changed these documents at the same time; run the ingest again.', log: 'warn' },
  'web/unreachable': { userMessage: 'The web site could not be reached.', log: 'warn' },
  'web/refused': { userMessage: 'The web site may not be fetched.', log: 'info' },
  'embeddings/unavailable': { userMessage: 'The embedding model is unavailable, try again shortly.', log: 'error' },
  'llm/unavailable': { userMessage: 'The language model is unavailable.', log: 'error' },
  'rate/limited': { userMessage: 'You are asking too quickly; please wait a moment.', log: 'info' },
  // A conversation the channel scope map gives no collection (a DM, an unmapped channel, `[]`).
  'scope/unassigned': { userMessage: 'No knowledge base is assigned to this conversation.', log: 'info' },
  'service/draining': { userMessage: 'The bot is restarting; please ask again in a moment.', log: 'info' },
  // warn: the operator may want a higher MAX_CONCURRENT_ANSWERS (or another process).
  'service/busy': { userMessage: "I'm answering a lot of questions right now; please ask again in a minute.", log: 'warn' },
  'internal/unexpected': { userMessage: 'Something went wrong on our side; please try again.', log: 'error' },
};

export class KbError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;

  constructor(code: ErrorCode, userMessage?: string, options?: { cause?: unknown }) {
    super(userMessage ?? errorPolicy[code].userMessage, options);
    this.name = 'KbError';
    this.code = code;
    this.userMessage = userMessage ?? errorPolicy[code].userMessage;
  }
}

/** Maps anything thrown to a KbError, so callers have one shape to render. */
export function toKbError(err: unknown): KbError {
  if (err instanceof KbError) return err;
  if (isConnectionError(err)) return new KbError('db/unavailable', undefined, { cause: err });
  // 57014: statement_timeout cancelled the query; the database is overloaded, not broken.
  if ((err as { code?: string } | null)?.code === '57014') return new KbError('db/unavailable', 'The knowledge base is busy right now, try again shortly.', { cause: err });
  return new KbError('internal/unexpected', undefined, { cause: err });
}

export interface FailureReport {
  error: KbError;
  /** What the user is shown: the error's userMessage, never a stack trace. */
  userMessage: string;
  level: LogLevel;
  /** What the log gets: the original cause. */
  cause: unknown;
}

/** Anything thrown → what the user sees and how it is logged, by the table above. */
export function failureReport(err: unknown): FailureReport {
  const error = toKbError(err);
  return { error, userMessage: error.userMessage, level: errorPolicy[error.code].log, cause: error === err ? (error.cause ?? error) : err };
}

const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (e.code && connectionCodes.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.some(isConnectionError)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(e.message ?? '');
}
