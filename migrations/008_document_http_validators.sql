-- What a web page (kb ingest <URL>) answered when it was last fetched: its ETag and
-- Last-Modified validators, sent back as If-None-Match / If-Modified-Since so that an unchanged
-- page answers 304 without its body; the ingest version they were recorded under (a parser,
-- chunking or --meta change must read the page again, not take a 304 for "unchanged"); and the
-- in-scope links the page held, so the pages it links to are still visited when it answers 304.
-- NULL for documents read from files (and for pages that sent no validators).
ALTER TABLE documents
  ADD COLUMN http_etag text,
  ADD COLUMN http_last_modified text,
  ADD COLUMN http_version text,
  ADD COLUMN http_links text[];
