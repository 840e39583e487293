import readline from 'node:readline';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

/**
 * A bot process for tests that need several: it builds the app from its environment
 * (as `kb serve` does), prints `ready`, and on each line `ask <n> <question>` read from
 * stdin asks the question n times at once (one user each) and prints one JSON line with
 * every answer's cached/refused/note/text. Stdin closing ends it.
 */
const app = await createApp(loadConfig(process.env), createLogger({ level: 'silent' }));
process.stdout.write('ready\n');
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const m = /^ask (\d+) (.+)$/.exec(line);
  if (!m) continue;
  const answers = await Promise.all(
    Array.from({ length: Number(m[1]) }, (_, i) => app.assistant.answer({ question: m[2]!, user: `worker:${process.pid}:${i}` })),
  );
  const summary = answers.map((a) => ({ cached: a.cached ?? false, refused: a.refused, note: a.note, text: a.text }));
  process.stdout.write(JSON.stringify(summary) + '\n');
}
await app.close();
