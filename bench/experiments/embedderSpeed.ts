/**
 * EXPERIMENT (not part of `npm run bench`): `node bin/tsx.js bench/experiments/embedderSpeed.ts`
 *
 * Times the local embedder on every chunk of the manual, three rounds in one process, and
 * prints a digest of the vectors, which must not change when the embedder is made faster.
 */
import { createHash } from 'node:crypto';
import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { embeddingText } from '../../src/ingest/ingest.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { loadManual } from '../lib/manual.ts';

const manual = await loadManual();
const texts = manual.docs.flatMap((d) => d.chunks.map((c) => embeddingText(d.title, c.heading, c.content)));
const embeddings = new LocalEmbeddings(await loadGloveTable(cacheDir));
for (let round = 1; round <= 3; round++) {
  const started = performance.now();
  const vectors = await embeddings.embedDocuments(texts);
  const seconds = (performance.now() - started) / 1000;
  const digest = createHash('sha256');
  for (const v of vectors) digest.update(Float32Array.from(v));
  console.log(`round ${round}: ${texts.length} chunks in ${seconds.toFixed(2)} s, vectors ${digest.digest('hex').slice(0, 12)}`);
}
