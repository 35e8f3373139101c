-- Vector and text search move into each server's process (the embedded store's quantised vector index and BM25
-- postings), fed from this table: pgvector's HNSW insert was about 97% of the cost of a write (114 memories/s at
-- 100K), and the tsvector rank cost ~50 ms a query. PostgreSQL keeps the rows, the exact re-rank of the vector
-- candidates and every check of tenant, scope, validity and metadata.

-- A row number per memory for the in-process indexes (the primary key is (tenant, id), text).
ALTER TABLE memories ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX memories_seq_idx ON memories (seq);

-- The newest change of every row a write touched (a deleted row's entry is its tombstone), with the writing
-- transaction. Readers cannot follow a sequence: numbers are drawn before commit, so a lower one may commit after a
-- higher one was read. A transaction id below a snapshot's xmin, though, belongs to a finished transaction, so a
-- reader that last looked with horizon X only needs the entries whose xid >= X.
CREATE TABLE memory_changes (
    row    bigint PRIMARY KEY,
    tenant text   NOT NULL,
    xid    xid8   NOT NULL
);
CREATE INDEX memory_changes_xid_idx ON memory_changes (xid);

-- Statement-level triggers with transition tables: one upsert per statement, also for COPY.
CREATE FUNCTION memory_changes_record_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO memory_changes (row, tenant, xid)
    SELECT seq, tenant, pg_current_xact_id() FROM changed_rows
    ON CONFLICT (row) DO UPDATE SET tenant = EXCLUDED.tenant, xid = EXCLUDED.xid;
    RETURN NULL;
END;
$$;

CREATE TRIGGER memory_changes_insert AFTER INSERT ON memories
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION memory_changes_record_new();
CREATE TRIGGER memory_changes_update AFTER UPDATE ON memories
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION memory_changes_record_new();
CREATE TRIGGER memory_changes_delete AFTER DELETE ON memories
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION memory_changes_record_new();

-- What the in-process indexes replace.
DROP INDEX IF EXISTS memories_embedding_idx;
DROP INDEX IF EXISTS memories_text_search_idx;
ALTER TABLE memories DROP COLUMN IF EXISTS text_search;
