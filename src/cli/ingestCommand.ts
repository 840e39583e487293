import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { KbError } from '../errors.ts';
import type { App } from '../app.ts';
import type { IngestSummary } from '../ingest/ingest.ts';
import { parseKeyValues } from '../store/metadata.ts';
import { terminalSafe } from './render.ts';

interface Output {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function summaryLine(s: IngestSummary): string {
  const skipped = s.skipped.length ? `; ${s.skipped.length} skipped` : '';
  const web = s.web ? `; ${s.web.requested} pages requested (${s.web.notModified} not modified)${s.web.notFetched ? `, ${s.web.notFetched} more found and left for --max-pages` : ''}` : '';
  return `ingested ${s.collection}: ${s.added} added, ${s.changed} changed, ${s.unchanged} unchanged, ${s.removed} removed; ${s.chunks} chunks (${s.embedded} embedded${s.reused ? `, ${s.reused} unchanged` : ''}) in ${s.seconds.toFixed(1)}s${skipped}${web}`;
}

/** A progress bar on stderr when it is a terminal (none otherwise: the summary line says it all). */
function progressBar(label: string, unit: string): { update: (done: number, total: number) => void; stop: () => void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  let bar: SingleBar | undefined;
  return {
    update(done, total) {
      if (!bar && total > 0) {
        bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} ${unit}`, stream: process.stderr }, Presets.shades_classic);
        bar.start(total, 0);
      }
      bar?.setTotal(total);
      bar?.update(done);
    },
    stop: () => bar?.stop(),
  };
}

const looksLikeUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

interface IngestOptions {
  collection?: string;
  baseUrl?: string;
  prune: boolean;
  force: boolean;
  rehash: boolean;
  meta: string[];
  sitemap?: string;
  maxPages?: string;
  sameOrigin: boolean;
  allowPrivate: boolean;
}

/**
 * `kb ingest`: folders and files, or one web site (`kb ingest https://…`). Progress bars on a
 * terminal, then one summary line; skipped files and pages one line each on stderr.
 */
export function registerIngest(program: Command, io: Output, deps: { withApp: <T>(fn: (app: App) => Promise<T>) => Promise<T>; collectionName: (name: string) => string; repeated: (v: string, p: string[]) => string[] }): void {
  program
    .command('ingest')
    .description('Ingest Markdown, HTML, text and PDF files (unchanged files are skipped), or the pages of a web site under a URL')
    .argument('<paths...>', 'folders or files, or one http(s) URL')
    .option('--collection <name>', 'collection to ingest into')
    .option('--base-url <url>', 'base URL that citations link to (<base-url><file>#<anchor>)')
    .option('--prune', 'remove documents whose files were under the given folders and are gone (a URL: pages under it that answer 404 or 410)', false)
    .option('--force', 'let --prune remove every document of the collection', false)
    .option('--rehash', 'read and hash every file, even those whose size and modification time are unchanged (a URL: fetch every page in full)', false)
    .option('--meta <key=value>', 'metadata for every document of this ingest (repeatable; over front matter and HTML <meta>)', deps.repeated, [])
    .option('--sitemap <url>', 'a URL: also fetch the pages under it that this sitemap lists')
    .option('--max-pages <n>', 'a URL: fetch at most this many pages (default 1000)')
    .option('--same-origin', 'a URL: follow links only to its own scheme, host and port (default: http and https of its host)', false)
    .option('--allow-private', 'a URL: allow loopback, private and link-local addresses', false)
    .action(async (paths: string[], o: IngestOptions) => {
      const meta = parseKeyValues(o.meta, '--meta');
      const named = o.collection === undefined ? undefined : deps.collectionName(o.collection);
      const urls = paths.filter(looksLikeUrl);
      if (urls.length) return ingestSite(paths, o, meta, named);
      const webOnly = [o.sitemap !== undefined && '--sitemap', o.maxPages !== undefined && '--max-pages', o.sameOrigin && '--same-origin', o.allowPrivate && '--allow-private'].filter(Boolean);
      if (webOnly.length) throw new KbError('input/invalid_argument', `${webOnly.join(', ')} applies to a web site: kb ingest https://docs.example.com/guide/ ${webOnly[0]} …`);
      if (o.baseUrl && !URL.canParse(o.baseUrl)) throw new KbError('input/invalid_argument', `--base-url ${o.baseUrl} is not a URL`);
      await deps.withApp(async (app) => {
        const bar = progressBar('ingesting', 'documents');
        const summary = await app.ingest({ inputs: paths, collection: named ?? app.config.collection, baseUrl: o.baseUrl, prune: o.prune, force: o.force, rehash: o.rehash, meta, onProgress: bar?.update });
        bar?.stop();
        report(summary);
      });
    });

  async function ingestSite(paths: string[], o: IngestOptions, meta: Record<string, string>, named: string | undefined): Promise<void> {
    if (paths.length > 1) throw new KbError('input/invalid_argument', 'Give one URL to ingest a web site (its pages are found from it), without other URLs or folders');
    if (o.baseUrl) throw new KbError('input/invalid_argument', '--base-url applies to files: a web page is cited at its own URL');
    let maxPages: number | undefined;
    if (o.maxPages !== undefined) {
      maxPages = Number(o.maxPages);
      if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > 100_000) throw new KbError('input/invalid_argument', '--max-pages must be a whole number from 1 to 100000');
    }
    // The URLs are checked before the database is opened.
    const { webUrl } = await import('../ingest/web/siteIngest.ts');
    webUrl(paths[0]!, 'URL');
    if (o.sitemap !== undefined) webUrl(o.sitemap, '--sitemap');
    await deps.withApp(async (app) => {
      const fetching = progressBar('fetching', 'pages');
      let writing: ReturnType<typeof progressBar>;
      const summary = await app.ingestSite({
        url: paths[0]!,
        collection: named ?? app.config.collection,
        sitemap: o.sitemap,
        maxPages,
        sameOrigin: o.sameOrigin,
        allowPrivate: o.allowPrivate,
        prune: o.prune,
        force: o.force,
        rehash: o.rehash,
        meta,
        onFetched: fetching?.update,
        onProgress: fetching
          ? (done, total) => {
              fetching.stop();
              writing ??= progressBar('ingesting', 'documents');
              writing?.update(done, total);
            }
          : undefined,
      });
      fetching?.stop();
      writing?.stop();
      report(summary);
    });
  }

  function report(summary: IngestSummary): void {
    // A page's URL and a server's reason are the site's text: no control characters reach the terminal.
    for (const s of summary.skipped) io.err(terminalSafe(`skipped ${s.source}: ${s.reason}`));
    io.out(summaryLine(summary));
  }
}
