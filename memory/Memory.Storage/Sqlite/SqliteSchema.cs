using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Memory.Storage.Sqlite;

/// <summary>
/// The embedded store's schema: the same tables as PostgreSQL's migrations (memories, memory_history), a change log
/// kept by triggers (memory_changes: what the in-process indexes of every store instance on the file replay), and a
/// settings table that pins the embedding dimension of the file. Versioned with PRAGMA user_version; creating it is
/// idempotent.
/// </summary>
internal static class SqliteSchema
{
    public const int Version = 3;

    private const string CreateV1 = """
        CREATE TABLE IF NOT EXISTS memories (
            seq                INTEGER PRIMARY KEY,
            tenant             TEXT    NOT NULL,
            id                 TEXT    NOT NULL,
            user_id            TEXT,
            agent_id           TEXT,
            run_id             TEXT,
            text               TEXT    NOT NULL,
            hash               TEXT    NOT NULL,
            embedding          BLOB    NOT NULL,
            metadata           TEXT    NOT NULL DEFAULT '{}',
            source_message_ids TEXT    NOT NULL DEFAULT '[]',
            role               TEXT,
            created_at         INTEGER NOT NULL,
            updated_at         INTEGER,
            invalid_at         INTEGER,
            superseded_by      TEXT,
            UNIQUE (tenant, id)
        );
        CREATE INDEX IF NOT EXISTS memories_user_idx  ON memories (tenant, user_id, created_at DESC);
        CREATE INDEX IF NOT EXISTS memories_agent_idx ON memories (tenant, agent_id, created_at DESC);
        CREATE INDEX IF NOT EXISTS memories_run_idx   ON memories (tenant, run_id, created_at DESC);
        CREATE INDEX IF NOT EXISTS memories_hash_idx  ON memories (tenant, hash);

        CREATE TABLE IF NOT EXISTS memory_history (
            seq                INTEGER PRIMARY KEY,
            id                 TEXT    NOT NULL UNIQUE,
            tenant             TEXT    NOT NULL,
            memory_id          TEXT    NOT NULL,
            old_memory         TEXT,
            new_memory         TEXT,
            event              TEXT    NOT NULL CHECK (event IN ('ADD', 'UPDATE', 'DELETE', 'NONE')),
            actor              TEXT,
            role               TEXT,
            source_message_ids TEXT    NOT NULL DEFAULT '[]',
            created_at         INTEGER NOT NULL,
            is_deleted         INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS memory_history_memory_idx ON memory_history (tenant, memory_id, seq);

        CREATE TABLE IF NOT EXISTS store_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """;

    /// <summary>
    /// Version 2: the history table also accepts INVALIDATE (a contradicted memory kept for as-of queries). SQLite
    /// cannot alter a CHECK constraint, so the table is rebuilt with its rows, sequence numbers and index.
    /// </summary>
    private const string UpgradeToV2 = """
        CREATE TABLE memory_history_v2 (
            seq                INTEGER PRIMARY KEY,
            id                 TEXT    NOT NULL UNIQUE,
            tenant             TEXT    NOT NULL,
            memory_id          TEXT    NOT NULL,
            old_memory         TEXT,
            new_memory         TEXT,
            event              TEXT    NOT NULL CHECK (event IN ('ADD', 'UPDATE', 'DELETE', 'NONE', 'INVALIDATE')),
            actor              TEXT,
            role               TEXT,
            source_message_ids TEXT    NOT NULL DEFAULT '[]',
            created_at         INTEGER NOT NULL,
            is_deleted         INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO memory_history_v2 (seq, id, tenant, memory_id, old_memory, new_memory, event, actor, role, source_message_ids, created_at, is_deleted)
            SELECT seq, id, tenant, memory_id, old_memory, new_memory, event, actor, role, source_message_ids, created_at, is_deleted FROM memory_history;
        DROP TABLE memory_history;
        ALTER TABLE memory_history_v2 RENAME TO memory_history;
        CREATE INDEX IF NOT EXISTS memory_history_memory_idx ON memory_history (tenant, memory_id, seq);
        CREATE INDEX IF NOT EXISTS memories_invalid_idx ON memories (tenant, invalid_at) WHERE invalid_at IS NOT NULL;
        """;

    /// <summary>
    /// Version 3: text search moved from FTS5 to the in-process index (<see cref="Text.TextIndex"/>), so the FTS5 table
    /// and its triggers go; every insert, update and delete of a memory now records its row as the newest change.
    /// One entry per row (a write replaces the row's entry with a new, higher change number; a deleted row's entry is
    /// its tombstone), so the log is as long as the rows ever stored, not the writes ever made. AUTOINCREMENT: a change
    /// number is never reused, and since SQLite has one writer at a time, numbers grow in commit order.
    /// </summary>
    private const string UpgradeToV3 = """
        DROP TRIGGER IF EXISTS memories_fts_insert;
        DROP TRIGGER IF EXISTS memories_fts_delete;
        DROP TRIGGER IF EXISTS memories_fts_update;
        DROP TABLE IF EXISTS memories_fts;
        """;

    private const string CreateV3 = """
        CREATE TABLE IF NOT EXISTS memory_changes (
            change INTEGER PRIMARY KEY AUTOINCREMENT,
            row    INTEGER NOT NULL UNIQUE,
            tenant TEXT    NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS memory_changes_insert AFTER INSERT ON memories BEGIN
            DELETE FROM memory_changes WHERE row = new.seq;
            INSERT INTO memory_changes (row, tenant) VALUES (new.seq, new.tenant);
        END;
        CREATE TRIGGER IF NOT EXISTS memory_changes_update AFTER UPDATE ON memories BEGIN
            DELETE FROM memory_changes WHERE row = new.seq;
            INSERT INTO memory_changes (row, tenant) VALUES (new.seq, new.tenant);
        END;
        CREATE TRIGGER IF NOT EXISTS memory_changes_delete AFTER DELETE ON memories BEGIN
            DELETE FROM memory_changes WHERE row = old.seq;
            INSERT INTO memory_changes (row, tenant) VALUES (old.seq, old.tenant);
        END;
        """;

    /// <summary>Creates or upgrades the schema and checks that the file holds vectors of the configured length.</summary>
    public static void Apply(SqliteConnection connection, int dimensions)
    {
        Execute(connection, "PRAGMA journal_mode = WAL");
        using var transaction = connection.BeginTransaction();
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version > Version)
        {
            throw new InvalidOperationException(
                $"The memory file has schema version {version}, newer than this build's {Version}; use a newer build or another Storage:SqlitePath.");
        }

        Execute(connection, CreateV1);
        if (version < 2)
        {
            Execute(connection, UpgradeToV2);
        }

        if (version < 3)
        {
            Execute(connection, UpgradeToV3);
        }

        Execute(connection, CreateV3);

        Execute(connection, $"INSERT OR IGNORE INTO store_settings (key, value) VALUES ('embedding_dimensions', '{dimensions.ToString(CultureInfo.InvariantCulture)}')");
        var stored = Convert.ToString(Scalar(connection, "SELECT value FROM store_settings WHERE key = 'embedding_dimensions'"), CultureInfo.InvariantCulture);
        if (stored != dimensions.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException(
                $"The memory file holds {stored}-dimensional embeddings but Storage:EmbeddingDimensions is {dimensions}. " +
                "Set Storage:EmbeddingDimensions (and the embedder) to the file's dimension, or point Storage:SqlitePath at a new file and re-add the memories.");
        }

        Execute(connection, $"PRAGMA user_version = {Version}");
        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
