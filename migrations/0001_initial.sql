-- Conversation memory: memories with their embedding and full-text vector, and the history of every change.
-- {{embedding_dimensions}} is replaced by Storage:EmbeddingDimensions when the migration is applied; the store
-- checks the column's dimension at every start, so a changed setting fails loudly instead of mid-request.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE memories (
    tenant             text        NOT NULL,
    id                 text        NOT NULL,
    user_id            text,
    agent_id           text,
    run_id             text,
    text               text        NOT NULL,
    hash               text        NOT NULL,
    embedding          vector({{embedding_dimensions}}) NOT NULL,
    metadata           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    source_message_ids text[]      NOT NULL DEFAULT '{}',
    role               text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz,
    invalid_at         timestamptz,
    superseded_by      text,
    text_search        tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED,
    PRIMARY KEY (tenant, id),
    CONSTRAINT memories_scope_present CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL)
);

-- A scope names any subset of the three ids, so each id leads one index; listing is newest first.
CREATE INDEX memories_user_idx  ON memories (tenant, user_id, created_at DESC);
CREATE INDEX memories_agent_idx ON memories (tenant, agent_id, created_at DESC);
CREATE INDEX memories_run_idx   ON memories (tenant, run_id, created_at DESC);
CREATE INDEX memories_hash_idx  ON memories (tenant, hash);
CREATE INDEX memories_text_search_idx ON memories USING gin (text_search);
CREATE INDEX memories_embedding_idx ON memories USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

CREATE TABLE memory_history (
    id                 text        PRIMARY KEY,
    seq                bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    tenant             text        NOT NULL,
    memory_id          text        NOT NULL,
    old_memory         text,
    new_memory         text,
    event              text        NOT NULL CHECK (event IN ('ADD', 'UPDATE', 'DELETE', 'NONE')),
    actor              text,
    role               text,
    source_message_ids text[]      NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL,
    is_deleted         boolean     NOT NULL DEFAULT false
);

CREATE INDEX memory_history_memory_idx ON memory_history (tenant, memory_id, seq);
