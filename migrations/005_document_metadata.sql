-- Document metadata: string values by key, from Markdown front matter, HTML <meta name=…>
-- and `kb ingest --meta key=value`. Retrieval filters are containment tests
-- (metadata @> '{"language": "en", "category": "technical"}', one bound jsonb parameter),
-- which this GIN index answers; chunks are reached through their document.
ALTER TABLE documents ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}';
CREATE INDEX documents_metadata_idx ON documents USING gin (metadata jsonb_path_ops);
