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
  | 'embeddings/unavailable'
  | 'llm/unavailable'
  | 'rate/limited'
  | 'internal/unexpected';

const defaultMessages: Record<ErrorCode, string> = {
  'config/invalid': 'The configuration is invalid.',
  'input/empty_question': 'Please ask a question, e.g. "How do I create a partial index?"',
  'input/question_too_long': 'That question is too long; please shorten it.',
  'input/unreadable_file': 'A file could not be read.',
  'input/invalid_argument': 'Invalid argument.',
  'db/unavailable': 'The knowledge base is unavailable, try again shortly.',
  'db/no_pgvector': 'The PostgreSQL server has no pgvector extension: run scripts/install-pgvector.sh on the server.',
  'db/migration_failed': 'The database schema could not be updated.',
  'store/model_mismatch': 'The knowledge base was embedded with a different model.',
  'store/concurrent_change': 'Another ingest changed these documents at the same time; run the ingest again.',
  'embeddings/unavailable': 'The embedding model is unavailable, try again shortly.',
  'llm/unavailable': 'The language model is unavailable.',
  'rate/limited': 'You are asking too quickly; please wait a moment.',
  'internal/unexpected': 'Something went wrong on our side; please try again.',
};

export class KbError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;

  constructor(code: ErrorCode, userMessage?: string, options?: { cause?: unknown }) {
    super(userMessage ?? defaultMessages[code], options);
    this.name = 'KbError';
    this.code = code;
    this.userMessage = userMessage ?? defaultMessages[code];
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

const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (e.code && connectionCodes.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.some(isConnectionError)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(e.message ?? '');
}
