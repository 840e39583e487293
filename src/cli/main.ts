import readline from 'node:readline';
import { Command, CommanderError, Option } from 'commander';
import type { Config } from '../config.ts';
import { KbError, toKbError } from '../errors.ts';
import { createLogger, exitOnCrash, redactText, registerSecrets, type Logger } from '../logger.ts';
import type { App } from '../app.ts';
import { randomUUID } from 'node:crypto';
import type { Retrieval, RetrievalMode, RetrievalRecipe } from '../retrieval/hybridRetriever.ts';
import { registerIngest } from './ingestCommand.ts';
import { renderAnswer, renderEvalDetail, renderExplain } from './render.ts';
import { parseKeyValues } from '../store/metadata.ts';
import { COLLECTION_NAME, COLLECTION_NAME_RULE } from '../collectionName.ts';

/** Collects a repeatable option's values (`--filter a=b --filter c=d`). */
const repeated = (value: string, previous: string[]) => [...previous, value];
/** `--filter key=value` pairs as a filter (keys are checked against METADATA_FILTER_KEYS by the retriever). */
const filterOption = (pairs: string[]) => (pairs.length ? parseKeyValues(pairs, '--filter') : undefined);

/** One collection name, checked as configuration checks KB_COLLECTION. */
function collectionName(name: string): string {
  if (!COLLECTION_NAME.test(name)) throw new KbError('input/invalid_argument', `--collection ${JSON.stringify(name)} is not a collection name: ${COLLECTION_NAME_RULE}`);
  return name;
}

/** `--collection a,b` as checked names; undefined when not given. */
function collectionsOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim());
  return names.map(collectionName);
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

export async function withApp<T>(fn: (app: App) => Promise<T>, opts: { sample?: boolean } = {}): Promise<T> {
  // Configuration (zod) and the app (database drivers, LangChain) are loaded by the commands
  // that need them, so `kb --help` or a mistyped option starts at once.
  const [{ configSecrets, loadConfig }, { createApp }] = await Promise.all([import('../config.ts'), import('../app.ts')]);
  const config = loadConfig();
  registerSecrets(configSecrets(config));
  const logger = createLogger({ level: config.logLevel ?? 'warn' });
  const app = await createApp(config, logger);
  try {
    if (opts.sample) await app.ensureSampleKnowledgeBase();
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** Adds commands defined outside the core (adapters/cli.ts adds `serve` and `discord`). */
export type CommandExtension = (program: Command, io: Io) => void;

function buildProgram(io: Io, extensions: CommandExtension[], recipes: RetrievalRecipe[]): Command {
  const program = new Command('kb').description('Ask a database-engineering knowledge base; answers cite their sources.').exitOverride().showHelpAfterError();
  program.configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  registerIngest(program, io, { withApp, collectionName, repeated });

  program
    .command('ask')
    .description('Ask one question')
    .argument('<question...>', 'the question')
    .option('--collection <names>', 'comma-separated collections to search')
    .option('--json', 'print the answer as JSON', false)
    .option('--explain', 'show each source’s BM25 rank, vector rank and fused score', false)
    .option('--filter <key=value>', 'only documents with this metadata (repeatable: all must match)', repeated, [])
    .action(async (words: string[], o: { collection?: string; json: boolean; explain: boolean; filter: string[] }) => {
      const filter = filterOption(o.filter);
      const scope = collectionsOption(o.collection);
      await withApp(
        async (app) => {
          const answer = await app.assistant.answer({ question: words.join(' '), user: 'cli:local', scope, filter });
          if (o.json) io.out(JSON.stringify(answer, null, 2));
          else io.out(renderAnswer(answer));
          if (o.explain) io.out(renderExplain(await app.answers.retrieve(answer.standaloneQuestion, scope ?? [app.config.collection], false, filter)));
        },
        { sample: !o.collection },
      );
    });

  program
    .command('chat')
    .description('Interactive session; follow-up questions keep the context')
    .option('--collection <names>', 'comma-separated collections to search')
    .option('--filter <key=value>', 'only documents with this metadata (repeatable: all must match)', repeated, [])
    .action(async (o: { collection?: string; filter: string[] }) => {
      const filter = filterOption(o.filter);
      const scope = collectionsOption(o.collection);
      await withApp(
        async (app) => {
          const rl = readline.createInterface({ input: process.stdin, terminal: false });
          const conversation = { platform: 'cli' as const, channel: 'terminal', thread: randomUUID() };
          io.out('Ask a question (empty line or Ctrl-D to quit).');
          process.stdout.write('> ');
          // Iterating the lines (rather than rl.question) also works when input is piped.
          for await (const q of rl) {
            if (!q.trim()) break;
            try {
              const a = await app.assistant.answer({ question: q, user: 'cli:local', conversation, scope, filter });
              io.out(`${renderAnswer(a)}\n`);
            } catch (err) {
              io.err(`error: ${toKbError(err).userMessage}`);
            }
            process.stdout.write('> ');
          }
          rl.close();
        },
        { sample: !o.collection },
      );
    });

  program
    .command('eval')
    .description('Measure retrieval (and with --answers, answer) quality on a JSONL question set')
    .requiredOption('--questions <file>', 'JSONL: {"question": "...", "sources": ["file.html"], "facts": ["regex"]}')
    .addOption(new Option('--mode <mode>', 'retrieval mode').choices(['hybrid', 'bm25', 'vector', ...recipes.map((r) => r.name)]).default('hybrid'))
    .option('--k <n>', 'cut-off for hits', '10')
    .option('--collection <names>', 'comma-separated collections to search')
    .option('--answers', 'also answer every question through the full answer path and score the answers against their facts', false)
    .option('--filter <key=value>', 'only documents with this metadata (repeatable: all must match)', repeated, [])
    .option('--json', 'print one JSON object', false)
    .option('--verbose', 'print each question’s rank (and with --answers, its answer)', false)
    .action(async (o: { questions: string; mode: string; k: string; collection?: string; filter: string[]; answers: boolean; json: boolean; verbose: boolean }) => {
      const filter = filterOption(o.filter);
      const collections = collectionsOption(o.collection);
      const k = Number(o.k);
      if (!Number.isInteger(k) || k < 1 || k > 100) throw new KbError('input/invalid_argument', '--k must be a whole number from 1 to 100');
      const { evaluate, readQuestions } = await import('../eval/evaluate.ts');
      const questions = await readQuestions(o.questions);
      await withApp(async (app) => {
        const scope = collections ?? [app.config.collection];
        const retriever = app.retriever(scope, recipes.find((r) => r.name === o.mode) ?? (o.mode as RetrievalMode), Math.max(k, 10) * 2, filter);
        const answerer = o.answers
          ? { full: true, answer: (question: string) => app.assistant.answer({ question, user: 'cli:eval', scope, filter, evaluation: true }) }
          : { full: false, answer: (question: string, retrieval: Retrieval) => app.answers.compose(question, retrieval, scope) };
        const report = await evaluate(questions, retriever, answerer, o.mode, k, o.verbose ? (d) => io.err(o.answers ? renderEvalDetail(d) : JSON.stringify(d)) : undefined);
        if (o.json) io.out(JSON.stringify(report));
        else for (const [key, v] of Object.entries(report)) io.out(`${key.padEnd(17)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
      });
    });

  program
    .command('reembed')
    .description('Re-compute every embedding with the configured model (needed after changing it)')
    .action(async () => {
      await withApp(async (app) => io.out(`re-embedded ${await app.reembed()} chunks with ${app.space.model}`));
    });

  program
    .command('feedback')
    .description('List recent 👎 feedback with the questions that got it, then votes per day and per cited source')
    .option('--limit <n>', 'how many', '20')
    .option('--up', 'list 👍 instead', false)
    .option('--days <n>', 'days the summary covers', '30')
    .action(async (o: { limit: string; up: boolean; days: string }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new KbError('input/invalid_argument', '--limit must be a whole number from 1 to 1000');
      const days = Number(o.days);
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new KbError('input/invalid_argument', '--days must be a whole number from 1 to 3650');
      await withApp(async (app) => {
        const rows = await app.feedback.recent(o.up ? 'up' : 'down', limit);
        if (!rows.length) io.out(`no ${o.up ? '👍' : '👎'} feedback yet`);
        for (const r of rows) io.out(`${new Date(r.created_at).toISOString()}  ${r.platform}  ${r.channel_id}  ${r.user_id}  ${r.question.replace(/\s+/g, ' ').slice(0, 200)}`);
        const summary = await app.feedback.summary(days);
        if (!summary.perDay.length) return;
        io.out(`\nlast ${days} days, per day:`);
        for (const d of summary.perDay) io.out(`  ${d.day}  👍 ${String(d.up).padStart(4)}  👎 ${String(d.down).padStart(4)}`);
        if (summary.perSource.length) io.out('per cited source:');
        for (const s of summary.perSource) io.out(`  👍 ${String(s.up).padStart(4)}  👎 ${String(s.down).padStart(4)}  ${s.title}${s.location ? ` (${s.location})` : ''}`);
      });
    });

  for (const extend of extensions) extend(program, io);
  return program;
}

/**
 * Runs the CLI; returns the exit code. Errors print one line, never a stack trace. `recipes`
 * are further `kb eval --mode` choices (bin/kb.js passes the seed baseline from bench/).
 */
export async function main(argv: string[], io: Io = defaultIo, extensions: CommandExtension[] = [], recipes: RetrievalRecipe[] = []): Promise<number> {
  // A crash is logged (redacted) at any LOG_LEVEL, not printed raw by Node.
  exitOnCrash(createLogger({ level: 'fatal' }));
  const program = buildProgram(io, extensions, recipes);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const e = toKbError(err);
    const cause = e.code === 'internal/unexpected' && e.cause instanceof Error ? ` (${redactText(e.cause.message)})` : '';
    io.err(`error: ${e.userMessage}${cause}`);
    return 1;
  }
}

export type { Config, Logger };
