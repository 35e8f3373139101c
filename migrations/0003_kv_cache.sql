-- KV cache metadata: which attention-state blocks exist, who produced them, when they were last used, and which are
-- pinned. The blocks themselves live in the KV tiers (host memory, local disk, Redis); these rows outlive a process
-- and are shared by every server on the database. Idempotent: the KV metadata store also runs this file on start.
CREATE TABLE IF NOT EXISTS kv_blocks (
    block_key       text        PRIMARY KEY,
    prefix_key      text        NOT NULL,
    model_id        text        NOT NULL,
    tokens          integer     NOT NULL CHECK (tokens > 0),
    raw_bytes       bigint      NOT NULL CHECK (raw_bytes >= 0),
    stored_bytes    bigint      NOT NULL CHECK (stored_bytes >= 0),
    pinned          boolean     NOT NULL DEFAULT false,
    conversation_id text        NULL,
    session_id      text        NULL,
    hits            bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS kv_blocks_model_idx ON kv_blocks (model_id);
CREATE INDEX IF NOT EXISTS kv_blocks_conversation_idx ON kv_blocks (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS kv_blocks_last_used_idx ON kv_blocks (last_used_at) WHERE NOT pinned;
