import type { RetrievedChunk } from '../retrieval/hybridRetriever.ts';
import type { Citation } from './types.ts';

export function snippetOf(content: string, max = 160): string {
  const prose = content.replace(/```[\s\S]*?```/g, ' ').replace(/\s+/g, ' ').trim() || content.replace(/\s+/g, ' ').trim();
  return prose.length <= max ? prose : prose.slice(0, max - 1).replace(/\s+\S*$/, '') + '…';
}

/** "Page › Section", without repeating a heading the page title already ends with. */
export function sectionLabel(title: string, heading: string): string {
  return heading && heading !== title && !title.endsWith(heading) ? `${title} › ${heading}` : title;
}

export function citationFor(c: RetrievedChunk, n: number): Citation {
  const ch = c.chunk;
  const location = ch.anchor ? `${ch.source}#${ch.anchor}` : ch.source;
  return {
    n,
    title: sectionLabel(ch.title, ch.heading),
    source: ch.source,
    collection: ch.collection,
    heading: ch.heading,
    anchor: ch.anchor ?? undefined,
    url: ch.url ? (ch.anchor ? `${ch.url}#${ch.anchor}` : ch.url) : undefined,
    location,
    snippet: snippetOf(ch.content),
    contentHash: ch.content_hash,
  };
}

/**
 * Document text as an answerer quotes it or a model is shown it: a "[2]" in it (or `arr[2]` in
 * its code) is written with fullwidth brackets, so it can never be taken for a citation marker.
 * Only the `[k]` markers the answerer writes itself become citations; `renumber` restores
 * the document's brackets afterwards.
 */
export function neutraliseMarkers(text: string): string {
  return text.replace(/\[(\d{1,3})\]/g, '\uFF3B$1\uFF3D');
}

/**
 * Numbers the chunks actually used, in order of first use, one number per distinct
 * location, and rewrites `[k]` markers (k = 1-based index into `chunks`) to those numbers.
 * Markers pointing at no retrieved chunk are dropped: only retrieved sources are cited.
 * Brackets that came from document text (`neutraliseMarkers`) are shown as written.
 */
export function renumber(text: string, chunks: RetrievedChunk[]): { text: string; citations: Citation[] } {
  const byLocation = new Map<string, Citation>();
  const numberOf = new Map<number, number>();
  const out = text.replace(/\s?\[(\d{1,3})\]/g, (_m, digits: string) => {
    const k = Number(digits);
    const chunk = chunks[k - 1];
    if (!chunk) return '';
    let n = numberOf.get(k);
    if (n === undefined) {
      const key = `${chunk.chunk.source}#${chunk.chunk.anchor ?? ''}`;
      let cit = byLocation.get(key);
      if (!cit) {
        cit = citationFor(chunk, byLocation.size + 1);
        byLocation.set(key, cit);
      }
      n = cit.n;
      numberOf.set(k, n);
    }
    return ` [${n}]`;
  });
  const collapsed = out.replace(/(\[\d+\])(\s?\1)+/g, '$1');
  return { text: collapsed.replace(/\uFF3B(\d{1,3})\uFF3D/g, '[$1]'), citations: [...byLocation.values()] };
}
