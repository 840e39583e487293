-- What the source file looked like when a document was ingested: its size, its modification
-- time (milliseconds since the epoch, as Node's fs.Stats.mtimeMs gives it) and the parser
-- version its content hash was computed with. A file whose size and mtime still match (and
-- whose parser version is current) is taken as unchanged without being read; otherwise it is
-- read and its content hash decides. NULL (rows from before this migration, or a file that
-- was modified just before it was read) means "read it next time".
ALTER TABLE documents
  ADD COLUMN source_size bigint,
  ADD COLUMN source_mtime_ms double precision,
  ADD COLUMN parser_version text;
