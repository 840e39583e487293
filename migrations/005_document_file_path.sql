-- The absolute path of the file a document was last ingested from, so `kb ingest <folder>
-- --prune` removes only documents whose files lived under the folders it was given (a
-- document's source is relative to the folder of its own ingest, which says nothing about
-- where that folder was). NULL (rows from before this migration) means "not known": such a
-- document is never pruned until an ingest that sees its file records the path.
ALTER TABLE documents ADD COLUMN file_path text;
