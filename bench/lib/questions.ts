import fs from 'node:fs/promises';

export const DEV_QUESTIONS = process.env.BENCH_QUESTIONS ?? '/work/shared/eval/pg-dev.jsonl';

/** The in-domain dev questions (those with expected sources), in file order. */
export async function inDomainQuestions(file = DEV_QUESTIONS): Promise<string[]> {
  const lines = (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l.trim());
  const rows = lines.map((l) => JSON.parse(l) as { question: string; sources: string[] });
  return rows.filter((r) => r.sources.length > 0).map((r) => r.question);
}
