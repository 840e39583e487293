import type { Queryable } from '../db/database.ts';

/** What a fetched page answered, recorded with its document (see migrations/008). */
export interface PageValidators {
  etag?: string;
  lastModified?: string;
  /** The ingest version (parser, chunking, --meta) the page's content hash was made with. */
  version: string;
  /** The page's links within the crawled scope, so a 304 still leads to the pages it links to. */
  links: string[];
}

/** The recorded validators of a collection's web pages, by source (the page's URL). */
export async function storedPageValidators(db: Queryable, collection: string): Promise<Map<string, PageValidators>> {
  const r = await db.query<{ source: string; http_etag: string | null; http_last_modified: string | null; http_version: string; http_links: string[] | null }>(
    'SELECT source, http_etag, http_last_modified, http_version, http_links FROM documents WHERE collection = $1 AND http_version IS NOT NULL',
    [collection],
  );
  return new Map(r.rows.map((x) => [x.source, { etag: x.http_etag ?? undefined, lastModified: x.http_last_modified ?? undefined, version: x.http_version, links: x.http_links ?? [] }]));
}

/**
 * Records what pages answered, on documents whose content hash is still the one fetched (a
 * document another ingest replaced meanwhile keeps its own record).
 */
export async function recordPageValidators(db: Queryable, collection: string, pages: { source: string; contentHash: string; validators: PageValidators }[]): Promise<void> {
  if (!pages.length) return;
  await db.query(
    `UPDATE documents d SET http_etag = u.etag, http_last_modified = u.modified, http_version = u.version, http_links = ARRAY(SELECT jsonb_array_elements_text(u.links::jsonb))
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(source, hash, etag, modified, version, links)
      WHERE d.collection = $1 AND d.source = u.source AND d.content_hash = u.hash`,
    [
      collection,
      pages.map((p) => p.source),
      pages.map((p) => p.contentHash),
      pages.map((p) => p.validators.etag ?? null),
      pages.map((p) => p.validators.lastModified ?? null),
      pages.map((p) => p.validators.version),
      pages.map((p) => JSON.stringify(p.validators.links)),
    ],
  );
}
