import type { BenchMode } from '../seedRecipe.ts';
import { sizeLabel, type Corpus } from '../lib/corpus.ts';
import type { Table } from '../lib/report.ts';
import { fmt, mb, type LatencySummary } from '../lib/stats.ts';

export interface Measured extends LatencySummary {
  size: number;
  mode: BenchMode;
  concurrency: number;
  qps: number;
  errors: number;
}

const MODES: BenchMode[] = ['hybrid', 'bm25', 'vector', 'seed'];

export function buildTable(corpora: Corpus[]): Table {
  const size = (c: Corpus, rel: string) => c.build.sizes.filter((s) => s.relation === rel).reduce((n, s) => n + s.bytes, 0);
  const hnsw = (c: Corpus) => c.build.sizes.filter((s) => s.relation.startsWith('chunks_embedding_hnsw')).reduce((n, s) => n + s.bytes, 0);
  return {
    title: 'Generated corpora: build time and sizes (DocumentStore.writeDocuments, then LexicalIndex.refreshHeads, createVectorIndex, VACUUM ANALYZE)',
    columns: ['corpus', 'chunks', 'pages', "'scoped' share", 'load s', 'chunks/s', 'heads s', 'HNSW build s', 'chunks heap+TOAST', 'chunk_terms heap', 'chunk_terms indexes', 'term_heads', 'HNSW index'],
    rows: corpora.map((c) => [
      c.name + (c.reused ? ' (kept from an earlier run)' : ''),
      String(c.build.chunks),
      String(c.build.documents),
      `${fmt((100 * c.build.scopedChunks) / c.build.chunks, 1)}%`,
      fmt(c.build.loadMs / 1000, 0),
      fmt(c.build.chunks / (c.build.loadMs / 1000), 0),
      c.build.headsMs === undefined ? '–' : fmt(c.build.headsMs / 1000, 1),
      fmt(c.build.indexMs / 1000, 1),
      mb(size(c, 'chunks') + size(c, 'chunks (TOAST)')),
      mb(size(c, 'chunk_terms')),
      mb(size(c, 'chunk_terms_pkey') + size(c, 'chunk_terms_impact_idx') + size(c, 'chunk_terms_chunk_idx')),
      mb(size(c, 'term_heads (with TOAST)')),
      mb(hnsw(c)),
    ]),
    notes: [
      `load = generating the text, embedding it locally and writing it through the project's store (pipelined); the real manual (${corpora[0]?.build.manualChunks ?? '?'} chunks) is part of every corpus`,
      `HNSW built with maintenance_work_mem = ${corpora[0]?.build.maintenanceWorkMem ?? '?'} set on the bench database (the server default, 64MB, cannot hold the graph of a large corpus)`,
    ],
  };
}

/** Power-law fit p95 = a·N^b through the two largest measured sizes, projected to 1M. */
export function extrapolate(current: Measured[], corpora: Corpus[], earlier?: { file: string; measured: Measured[] }): Table | undefined {
  const now = new Set(current.map((m) => m.size));
  // Sizes measured in this run win over the same sizes from the earlier file.
  const measured = [...current, ...(earlier?.measured ?? []).filter((m) => !now.has(m.size))];
  const sizes = [...new Set(measured.map((m) => m.size))].sort((a, b) => a - b);
  if (sizes.length < 2 || sizes.includes(1_000_000)) return undefined;
  const [n1, n2] = sizes.slice(-2) as [number, number];
  const target = 1_000_000;
  const rows = MODES.filter((mode) => sizes.slice(-2).every((n) => measured.some((m) => m.size === n && m.mode === mode && m.concurrency === 1))).map((mode) => {
    const at = (n: number) => measured.find((m) => m.size === n && m.mode === mode && m.concurrency === 1)!;
    const b = Math.log(at(n2).p95 / at(n1).p95) / Math.log(n2 / n1);
    return [mode, fmt(at(n1).p95), fmt(at(n2).p95), fmt(b, 2), fmt(at(n2).p95 * (target / n2) ** b)];
  });
  const big = corpora.find((c) => c.build.size === n2);
  const from = (n: number) => (now.has(n) ? 'this run' : `${earlier?.file} (an earlier run)`);
  return {
    title: `EXTRAPOLATED to 1M chunks (not measured): p95 at concurrency 1, power law through ${sizeLabel(n1)} and ${sizeLabel(n2)}`,
    columns: ['mode', `p95 ms at ${sizeLabel(n1)}`, `p95 ms at ${sizeLabel(n2)}`, 'exponent', 'projected p95 ms at 1M'],
    rows,
    notes: [
      `${sizeLabel(n1)}: ${from(n1)}; ${sizeLabel(n2)}: ${from(n2)}`,
      ...(big ? [`projected 1M build: load ≈ ${fmt(((big.build.loadMs / big.build.chunks) * target) / 60000, 0)} min (linear from ${sizeLabel(n2)}), plus the HNSW build (≥ ${fmt(((big.build.indexMs / big.build.chunks) * target) / 60000, 0)} min; HNSW builds grow faster than linearly)`] : []),
    ],
  };
}

export function goalsTable(measured: Measured[]): Table {
  const find = (size: number, mode: BenchMode, concurrency = 1) => measured.find((m) => m.size === size && m.mode === mode && m.concurrency === concurrency);
  const rows: string[][] = [];
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const h100 = find(100_000, 'hybrid');
  const h100c8 = find(100_000, 'hybrid', 8);
  const s100 = find(100_000, 'seed');
  const h1m = find(1_000_000, 'hybrid');
  if (h100) for (const limit of [15, 10]) rows.push([`hybrid p95 ≤ ${limit} ms at 100k (c=1)`, `${fmt(h100.p95)} ms`, verdict(h100.p95 <= limit)]);
  if (h100 && h100c8) rows.push(['hybrid p95 at c=8 ≤ 4× c=1 at 100k', `${fmt(h100c8.p95)} ms = ${fmt(h100c8.p95 / h100.p95)}× (${fmt(h100c8.qps, 1)} against ${fmt(h100.qps, 1)} queries/s)`, verdict(h100c8.p95 <= 4 * h100.p95)]);
  for (const limit of [60, 25]) rows.push([`hybrid p95 ≤ ${limit} ms at 1M (c=1)`, h1m ? `${fmt(h1m.p95)} ms` : 'not measured (see the extrapolation)', h1m ? verdict(h1m.p95 <= limit) : '–']);
  if (h100 && s100) rows.push(['hybrid ≥ 10× faster than seed at 100k (p95, c=1)', `${fmt(s100.p95 / h100.p95)}×`, verdict(s100.p95 / h100.p95 >= 10)]);
  return { title: 'Retrieval goals', columns: ['goal', 'measured', 'verdict'], rows };
}
