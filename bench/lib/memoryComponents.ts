/**
 * Run as its own process by the memory suite: loads the big parts of `kb serve` one at a
 * time and prints the RSS after each as JSON lines, to show what the peak is made of.
 * argv: <pglite data dir> [shared_buffers]
 */
import fs from 'node:fs/promises';
import { cacheDir } from './benchConfig.ts';

const dataDir = process.argv[2]!;
const sharedBuffers = process.argv[3];

async function report(step: string): Promise<void> {
  const status = await fs.readFile('/proc/self/status', 'utf8');
  const kb = (f: string) => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  process.stdout.write(JSON.stringify({ step, vmRssBytes: kb('VmRSS'), vmHwmBytes: kb('VmHWM') }) + '\n');
}

await report('node + tsx');
const { PGlite } = await import('@electric-sql/pglite');
const { vector } = await import('@electric-sql/pglite-pgvector');
await import('@slack/bolt');
await import('@langchain/openai');
await report('modules loaded (PGlite, Bolt, LangChain)');
const { loadGloveTable } = await import('../../src/embeddings/gloveTable.ts');
const { LocalEmbeddings } = await import('../../src/embeddings/localEmbeddings.ts');
const embeddings = new LocalEmbeddings(await loadGloveTable(cacheDir));
await report(`local embeddings loaded (${embeddings.modelName})`);
const startParams = sharedBuffers ? [...(PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] : undefined;
const db = await PGlite.create({ dataDir, extensions: { vector }, ...(startParams ? { startParams } : {}) });
await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
const sb = (await db.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]?.shared_buffers;
await report(`PGlite open (shared_buffers ${sb})`);
await db.close();
