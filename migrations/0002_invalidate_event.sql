-- Fact extraction (infer=true) invalidates a contradicted memory instead of deleting it: the history table
-- records that as its own event, and as-of queries filter on the validity interval [created_at, invalid_at).
ALTER TABLE memory_history DROP CONSTRAINT IF EXISTS memory_history_event_check;
ALTER TABLE memory_history ADD CONSTRAINT memory_history_event_check
    CHECK (event IN ('ADD', 'UPDATE', 'DELETE', 'NONE', 'INVALIDATE'));

-- Invalidated memories are rare and only as-of queries read them; a partial index keeps them cheap to find.
CREATE INDEX IF NOT EXISTS memories_invalid_idx ON memories (tenant, invalid_at) WHERE invalid_at IS NOT NULL;
