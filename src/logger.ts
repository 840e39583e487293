import pino, { type Logger } from 'pino';

/** Patterns of secrets that must never reach a log line, whatever field they hide in. */
const secretPatterns: RegExp[] = [
  /xox[abposr]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  /sk-[A-Za-z0-9_-]{6,}/g,
  /(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@\s/]+@/gi,
];

const extraSecrets = new Set<string>();

/** Registers configured secrets (signing secret, bot tokens) so they are masked too. */
export function registerSecrets(values: Array<string | undefined>): void {
  for (const v of values) if (v && v.length >= 6) extraSecrets.add(v);
}

export function redactText(text: string): string {
  let out = text;
  for (const secret of extraSecrets) out = out.split(secret).join('[redacted]');
  for (const p of secretPatterns) {
    out = out.replace(p, (match, prefix?: string) => (typeof prefix === 'string' && match.endsWith('@') ? `${prefix}[redacted]@` : '[redacted]'));
  }
  return out;
}

function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: redactText(value.message), code: (value as { code?: unknown }).code, stack: value.stack ? redactText(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1);
  return out;
}

export type { Logger };

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => redactDeep(a)) as Parameters<typeof method>);
        },
      },
      formatters: { log: (obj) => redactDeep(obj) as Record<string, unknown> },
    },
    options.destination ?? pino.destination(2),
  );
}

let crashHandlersInstalled = false;

/**
 * Routes an unhandled rejection or uncaught exception through `logger` (so its message and
 * stack are redacted like every other line), then exits with status 1. For the CLI process
 * only: a library or test runner keeps its own handlers.
 */
export function exitOnCrash(logger: Logger): void {
  if (crashHandlersInstalled) return;
  crashHandlersInstalled = true;
  const crash = (what: string) => (err: unknown) => {
    try {
      logger.fatal({ err }, `${what}; exiting`);
    } finally {
      process.exit(1);
    }
  };
  process.on('unhandledRejection', crash('unhandled promise rejection'));
  process.on('uncaughtException', crash('uncaught exception'));
}
