//! The request log's schema and its migrations, keyed by SQLite's `user_version`.
//!
//! One row per request in `requests` (attempts as JSON text); bodies, when kept, in `bodies` under the
//! same `seq`, deleted with their request by a trigger. One index besides the unique `id`: the
//! newest-first listing and its cursor (`started_at, id`). Every index is paid for on every insert, on
//! the request log's hot path; filters (client, model, provider, status, text) read the newest rows
//! through `requests_started` and stop at the page size, so versions 2 and 3 dropped the per-column
//! indexes, which cost more on each insert than they saved on reads (the bench's insert rate went from
//! 49k to 235k rows/s with these drops and time-ordered ids).
//! A migration runs in one transaction with the `user_version` bump, so a crash mid-migration leaves
//! the old schema whole.

use rusqlite::Connection;

use super::StoreError;

/// The schema version this build writes.
pub const VERSION: i64 = 3;

/// Each entry turns version `i` into `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 → 1
    "CREATE TABLE requests (
        seq                 INTEGER PRIMARY KEY,
        id                  TEXT NOT NULL UNIQUE,
        started_at          INTEGER NOT NULL,
        client              TEXT NOT NULL,
        key_name            TEXT,
        method              TEXT NOT NULL,
        endpoint            TEXT NOT NULL,
        requested_model     TEXT,
        provider            TEXT,
        upstream_model      TEXT,
        stream              INTEGER NOT NULL,
        status              INTEGER NOT NULL,
        error_type          TEXT,
        error_message       TEXT,
        latency_ms          REAL NOT NULL,
        ttft_ms             REAL,
        upstream_ms         REAL,
        tokens_in           INTEGER,
        tokens_out          INTEGER,
        tokens_estimated    INTEGER NOT NULL,
        attempts            TEXT NOT NULL,
        bytes_in            INTEGER NOT NULL,
        bytes_out           INTEGER NOT NULL,
        client_disconnected INTEGER NOT NULL,
        has_bodies          INTEGER NOT NULL
    );
    CREATE INDEX requests_started ON requests (started_at, id);
    CREATE INDEX requests_provider ON requests (provider, started_at);
    CREATE INDEX requests_client ON requests (client, started_at);
    CREATE INDEX requests_requested_model ON requests (requested_model, started_at);
    CREATE INDEX requests_upstream_model ON requests (upstream_model, started_at);
    CREATE INDEX requests_status ON requests (status, started_at);
    CREATE TABLE bodies (
        seq      INTEGER PRIMARY KEY,
        request  TEXT,
        response TEXT
    );
    CREATE TRIGGER requests_delete_bodies AFTER DELETE ON requests
        WHEN old.has_bodies BEGIN DELETE FROM bodies WHERE seq = old.seq; END;",
    // 1 → 2: every index is paid for on every insert, on the request log's hot path; filters on
    // client and model read the newest rows through `requests_started` and stop at the page size.
    "DROP INDEX IF EXISTS requests_client;
    DROP INDEX IF EXISTS requests_requested_model;
    DROP INDEX IF EXISTS requests_upstream_model;",
    // 2 → 3: the same for provider and status.
    "DROP INDEX IF EXISTS requests_provider;
    DROP INDEX IF EXISTS requests_status;",
];

/// Brings the database to [`VERSION`], or refuses one written by a newer build.
pub fn migrate(conn: &mut Connection, path: &std::path::Path) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known: VERSION,
        });
    }
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", from as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
