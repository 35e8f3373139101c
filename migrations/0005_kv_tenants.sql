-- KV blocks are shared by content (any caller that sends the same prefix reuses them), but deletes and pins belong to
-- tenants: a block row remembers the tenant that produced it, and pins are kept per tenant, so one tenant can neither
-- delete nor unpin what another asked for. kv_blocks.pinned stays as "pinned by some tenant" for eviction and totals.
-- Idempotent: the KV metadata store also runs this file on start.
ALTER TABLE kv_blocks ADD COLUMN IF NOT EXISTS tenant text NULL;
CREATE INDEX IF NOT EXISTS kv_blocks_tenant_idx ON kv_blocks (tenant, conversation_id);

CREATE TABLE IF NOT EXISTS kv_pins (
    tenant     text        NOT NULL,
    block_key  text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, block_key)
);
CREATE INDEX IF NOT EXISTS kv_pins_block_idx ON kv_pins (block_key);
