/**
 * `npm run bench [-- --only ingest,retrieval --sizes 10k,100k --keep]`
 *
 * Runs the benchmark suites, prints one table per measurement (each speed figure next to
 * its baseline from the same run, as a ratio) and writes bench/results/<suite>.json.
 * Benchmarks are not tests: nothing here fails on a slow figure; goals are reported.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { machineInfo, renderTable, writeResult, type SuiteResult } from './lib/report.ts';
import { runIngestSuite } from './suites/ingest.ts';
import { runRetrievalSuite } from './suites/retrieval.ts';
import { runRecallSuite } from './suites/recall.ts';
import { runAnswerSuite } from './suites/answer.ts';
import { runMemorySuite } from './suites/memory.ts';
import { runStartupSuite } from './suites/startup.ts';
import { runVectorIndexSuite } from './suites/vectorIndex.ts';
import { parseSize } from './lib/corpus.ts';
import type { BenchMode } from './seedRecipe.ts';
import type { Measured } from './suites/retrievalReport.ts';

const SUITES = ['ingest', 'retrieval', 'recall', 'vectorindex', 'answer', 'memory', 'startup'] as const;
type SuiteName = (typeof SUITES)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    sizes: { type: 'string', default: '10k,100k' },
    keep: { type: 'boolean', default: false },
    queries: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1,8' },
    modes: { type: 'string', default: 'hybrid,bm25,vector,seed' },
    'slow-delay-ms': { type: 'string', default: '50' },
    'embed-batch': { type: 'string', default: '512' },
    repeat: { type: 'string', default: '3' },
    'ef-search': { type: 'string', default: '40,100,200,300,400' },
    runs: { type: 'string', default: '7' },
    'compare-with': { type: 'string' },
    'index-ef-search': { type: 'string', default: '40,100,300' },
    probes: { type: 'string', default: '10,20,40' },
    tag: { type: 'string' },
    'extrapolate-with': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`npm run bench -- [options]
  --only <list>          suites to run (${SUITES.join(', ')}); default all
  --sizes <list>         corpus sizes for retrieval and recall, e.g. 10k,100k,300k,1m (default 10k,100k)
  --queries <n>          measured queries per retrieval configuration (default 200)
  --concurrency <list>   retrieval concurrency levels (default 1,8)
  --modes <list>         retrieval modes (default hybrid,bm25,vector,seed; seed is the baseline)
  --ef-search <list>     hnsw.ef_search values for the recall suite (default 40,100,200,300,400; 40 is pgvector's default, the project sets 200)
  --index-ef-search <l>  hnsw.ef_search values for the vectorindex suite (default 40,100,300)
  --probes <list>        ivfflat.probes values for the vectorindex suite (default 10,20,40; lists 100)
  --slow-delay-ms <n>    delay the fake embedding API adds per request (default 50)
  --embed-batch <n>      OpenAIEmbeddings batchSize for the slow embedder (default 512, LangChain's default)
  --repeat <n>           full ingests of the manual per system for the ingest ratio, medians reported (default 3)
  --runs <n>             processes per command in the startup suite, medians reported (default 7)
  --compare-with <dir>   startup suite: also measure another checkout's bin/kb.js (its node_modules installed), run by run
  --keep                 keep the bench_* databases (corpora are reused by the next run)
  --tag <name>           write bench/results/<suite>-<name>.json instead of <suite>.json
  --extrapolate-with <f> add the retrieval figures of an earlier results file to the 1M extrapolation`);
  process.exit(0);
}

const only = (values.only ?? SUITES.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of only) if (!SUITES.includes(s as SuiteName)) throw new Error(`unknown suite ${s}: choose from ${SUITES.join(', ')}`);
const sizes = values.sizes.split(',').map(parseSize);
const keep = values.keep;

async function readEarlier(file: string): Promise<{ file: string; measured: Measured[] }> {
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as { data: { measured: Measured[] } };
  return { file, measured: json.data.measured };
}

const earlier = values['extrapolate-with'] ? await readEarlier(values['extrapolate-with']) : undefined;
const machine = await machineInfo();
console.log(`machine: ${machine.nproc} cores (${machine.cpuModel}), node ${machine.node}, ${machine.postgres.split(' on ')[0]}, pgvector ${machine.pgvector}, load ${machine.loadAverage.map((x) => x.toFixed(2)).join(' ')}`);
console.log(`code: ${machine.gitHead}${machine.gitModified.length ? ` + uncommitted changes to ${machine.gitModified.join(', ')}` : ''}; PostgreSQL ${Object.entries(machine.postgresSettings).map(([k, v]) => `${k}=${v}`).join(' ')}`);

const runners: Record<SuiteName, () => Promise<SuiteResult>> = {
  ingest: () => runIngestSuite({ keep, slowDelayMs: Number(values['slow-delay-ms']), embedBatch: Number(values['embed-batch']), repeat: Math.max(1, Number(values.repeat)) }),
  retrieval: () =>
    runRetrievalSuite({
      sizes,
      keep: keep || only.includes('recall'),
      queries: Number(values.queries),
      concurrency: values.concurrency.split(',').map(Number),
      modes: values.modes.split(',') as BenchMode[],
      earlier,
    }),
  recall: () => runRecallSuite({ sizes, keep, efSearch: values['ef-search'].split(',').map(Number) }),
  vectorindex: () => runVectorIndexSuite({ sizes, keep, queries: Number(values.queries), efSearch: values['index-ef-search'].split(',').map(Number), probes: values.probes.split(',').map(Number) }),
  answer: () => runAnswerSuite({ keep }),
  memory: () => runMemorySuite(),
  startup: () => runStartupSuite({ runs: Math.max(5, Number(values.runs)), compareWith: values['compare-with'], keep }),
};

for (const name of SUITES) {
  if (!only.includes(name)) continue;
  const started = performance.now();
  console.log(`\n== ${name} ==`);
  const loadBefore = os.loadavg();
  const result = await runners[name]();
  const seconds = (performance.now() - started) / 1000;
  for (const t of result.tables) console.log('\n' + renderTable(t));
  for (const a of result.appendix ?? []) console.log(['', `#### ${a.title}`, '', '```', a.text, '```'].join('\n'));
  const file = await writeResult(values.tag ? { ...result, name: `${result.name}-${values.tag}` } : result, machine, { seconds, loadAverageBefore: loadBefore, argv: process.argv.slice(2) });
  console.log(`\n${name}: ${seconds.toFixed(0)} s (load average before ${loadBefore.map((x) => x.toFixed(1)).join(' ')}, after ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}), wrote ${file}`);
}
