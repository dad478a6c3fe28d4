//! The request log on disk: an embedded SQLite database (`requests.db` in a directory the caller
//! names; the library never picks an OS path), written by the recorder's background writer as a
//! [`LogSink`] and read by the admin API.
//!
//! Durability: WAL mode with `synchronous=NORMAL` and one transaction per batch. A crash or `kill -9`
//! loses at most the batch being written and never corrupts the file (a power cut may also lose the
//! last few committed batches, which is the price of not syncing each one). The file and its `-wal`
//! and `-shm` siblings are private to the user (0600 on Unix): bodies may hold prompts.
//!
//! Connections: one writer (behind a mutex; the recorder calls it from one blocking thread at a time)
//! and a small pool of query-only readers, which WAL lets run alongside the writer. Every method here
//! blocks: async callers use `spawn_blocking`.
//!
//! Retention by row count and by age runs on the writer's thread after a write, every few batches
//! or every minute, whichever comes first, in small chunks so the writer is never held for long; it
//! also runs once at open, and [`SqliteStore::apply_retention`] runs it on demand.

mod export;
mod query;
mod retention;
mod schema;
mod stats;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};
use serde::Serialize;

use super::prices::{Price, PriceTable};
use super::{Attempt, LogSink, RequestRecord};

pub use export::{Export, ExportFormat};
pub use query::{format_time, parse_time, Cursor, Filter, Page, StatusMatch};
pub use stats::{GroupBy, Stats, StatsRow, MAX_OFFSET_MINUTES};

/// The database's file name inside the data directory.
pub const FILE_NAME: &str = "requests.db";

/// How much of the log is kept.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Keep at most this many requests (the newest); `None` for no limit.
    pub max_rows: Option<u64>,
    /// Drop requests older than this; `None` for no limit.
    pub max_age: Option<Duration>,
    /// Run retention after this many written batches …
    pub retention_every_batches: u32,
    /// … or when this long has passed since it last ran, whichever comes first.
    pub retention_interval: Duration,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            max_rows: Some(100_000),
            max_age: Some(Duration::from_secs(30 * 24 * 3600)),
            retention_every_batches: 16,
            retention_interval: Duration::from_secs(60),
        }
    }
}

/// What can go wrong with the request log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot create the request log in {path}: {source}; check that the directory is writable"
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the request log {path} was written by a newer switchboard (schema {found}, this one knows {known}); upgrade switchboard, or move the file away to start a new log")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("request log database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// A record as the log returns it: the record, whether bodies are stored for it, and its cost.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRecord {
    #[serde(flatten)]
    pub record: RequestRecord,
    /// Bodies are stored for this request (fetch it by id to see them).
    pub has_bodies: bool,
    /// In USD, from the price table; `null` when the model has no price or tokens are unknown.
    pub cost_usd: Option<f64>,
}

impl LoggedRecord {
    pub fn new(record: RequestRecord, has_bodies: bool, prices: &PriceTable) -> Self {
        let model = record
            .upstream_model
            .as_deref()
            .or(record.requested_model.as_deref());
        let cost_usd = prices.cost(
            record.provider.as_deref(),
            model,
            record.tokens_in,
            record.tokens_out,
        );
        LoggedRecord {
            record,
            has_bodies,
            cost_usd,
        }
    }

    /// The same record without its bodies (for lists and the live tail).
    pub fn summary(record: &RequestRecord, prices: &PriceTable) -> Self {
        let has_bodies = record.request_body.is_some() || record.response_body.is_some();
        let mut record = record.clone();
        record.request_body = None;
        record.response_body = None;
        LoggedRecord::new(record, has_bodies, prices)
    }
}

struct Writer {
    conn: Connection,
    batches_since_retention: u32,
    last_retention: Instant,
}

/// The SQLite request log.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Writer>,
    readers: Mutex<Vec<Connection>>,
    settings: RwLock<StoreSettings>,
    price_overrides: RwLock<HashMap<String, Price>>,
}

/// Readers kept open between queries.
const POOL: usize = 4;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn open_connection(path: &Path, reader: bool) -> Result<Connection, rusqlite::Error> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    if !reader {
        // Freed pages go back to the file system after retention and clear. This takes effect only
        // on a new file, before anything (even the switch to WAL) writes its first page.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    }
    // WAL sticks to the file once set; the pragma answers with the mode in force.
    let _: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    if reader {
        conn.pragma_update(None, "query_only", true)?;
    }
    Ok(conn)
}

/// Creates the file readable by the user alone before SQLite opens it (SQLite gives its `-wal` and
/// `-shm` files the same mode).
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}

fn is_not_a_database(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::NotADatabase
    )
}

fn sql_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn finite(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

const INSERT: &str = "INSERT OR IGNORE INTO requests (id, started_at, client, key_name, method, endpoint,
    requested_model, provider, upstream_model, stream, status, error_type, error_message, latency_ms,
    ttft_ms, upstream_ms, tokens_in, tokens_out, tokens_estimated, attempts, bytes_in, bytes_out,
    client_disconnected, has_bodies)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
    ?21, ?22, ?23, ?24)";

/// The columns [`read_record`] reads, in order, prefixed with the `requests` alias `r`.
pub(crate) const COLUMNS: &str = "r.id, r.started_at, r.client, r.key_name, r.method, r.endpoint,
    r.requested_model, r.provider, r.upstream_model, r.stream, r.status, r.error_type, r.error_message,
    r.latency_ms, r.ttft_ms, r.upstream_ms, r.tokens_in, r.tokens_out, r.tokens_estimated, r.attempts,
    r.bytes_in, r.bytes_out, r.client_disconnected, r.has_bodies";
/// How many columns [`COLUMNS`] has.
pub(crate) const COLUMN_COUNT: usize = 24;

/// A record from a row selected with [`COLUMNS`], and whether it has bodies.
pub(crate) fn read_record(row: &Row<'_>) -> rusqlite::Result<(RequestRecord, bool)> {
    let u = |i: usize| -> rusqlite::Result<u64> {
        Ok(u64::try_from(row.get::<_, i64>(i)?).unwrap_or(0))
    };
    let opt_u = |i: usize| -> rusqlite::Result<Option<u64>> {
        Ok(row
            .get::<_, Option<i64>>(i)?
            .and_then(|v| u64::try_from(v).ok()))
    };
    let attempts: String = row.get(19)?;
    let record = RequestRecord {
        id: row.get(0)?,
        started_at: row.get(1)?,
        client: row.get(2)?,
        key_name: row.get(3)?,
        method: row.get(4)?,
        endpoint: row.get(5)?,
        requested_model: row.get(6)?,
        provider: row.get(7)?,
        upstream_model: row.get(8)?,
        stream: row.get(9)?,
        status: u16::try_from(row.get::<_, i64>(10)?).unwrap_or(0),
        error_type: row.get(11)?,
        error_message: row.get(12)?,
        latency_ms: row.get::<_, Option<f64>>(13)?.unwrap_or(0.0),
        ttft_ms: row.get(14)?,
        upstream_ms: row.get(15)?,
        tokens_in: opt_u(16)?,
        tokens_out: opt_u(17)?,
        tokens_estimated: row.get(18)?,
        attempts: serde_json::from_str::<Vec<Attempt>>(&attempts).unwrap_or_default(),
        bytes_in: u(20)?,
        bytes_out: u(21)?,
        request_body: None,
        response_body: None,
        client_disconnected: row.get(22)?,
    };
    Ok((record, row.get(23)?))
}

impl SqliteStore {
    /// Opens (creating or migrating) `requests.db` in `dir`. A file that is not a SQLite database is
    /// moved aside (`requests.db.broken-<time>`) and a new log started, so a damaged log never keeps
    /// the gateway from running.
    pub fn open(dir: &Path, settings: StoreSettings) -> Result<SqliteStore, StoreError> {
        let io = |source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(FILE_NAME);
        let conn = match SqliteStore::open_writer(&path) {
            Err(e) if is_not_a_database(&e) => {
                let aside = dir.join(format!("{FILE_NAME}.broken-{}", now_ms()));
                tracing::error!(
                    "the request log {} is not a database; moved it to {} and started a new one",
                    path.display(),
                    aside.display()
                );
                std::fs::rename(&path, &aside).map_err(io)?;
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(dir.join(format!("{FILE_NAME}{suffix}")));
                }
                SqliteStore::open_writer(&path)?
            }
            other => other?,
        };
        let store = SqliteStore {
            path,
            writer: Mutex::new(Writer {
                conn,
                batches_since_retention: 0,
                last_retention: Instant::now(),
            }),
            readers: Mutex::new(Vec::new()),
            settings: RwLock::new(settings),
            price_overrides: RwLock::new(HashMap::new()),
        };
        store.apply_retention()?;
        Ok(store)
    }

    fn open_writer(path: &Path) -> Result<Connection, StoreError> {
        create_private(path).map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut conn = open_connection(path, false)?;
        schema::migrate(&mut conn, path)?;
        Ok(conn)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn settings(&self) -> StoreSettings {
        self.settings
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Changes retention; it applies from the next pass.
    pub fn set_settings(&self, settings: StoreSettings) {
        match self.settings.write() {
            Ok(mut s) => *s = settings,
            Err(p) => *p.into_inner() = settings,
        }
    }

    /// The user's price entries (model id, id prefix or `provider:model` → price).
    pub fn set_price_overrides(&self, overrides: HashMap<String, Price>) {
        match self.price_overrides.write() {
            Ok(mut s) => *s = overrides,
            Err(p) => *p.into_inner() = overrides,
        }
    }

    /// The effective price table: defaults with the user's overrides.
    pub fn prices(&self) -> PriceTable {
        match self.price_overrides.read() {
            Ok(o) => PriceTable::new(&o),
            Err(p) => PriceTable::new(&p.into_inner()),
        }
    }

    /// A query-only connection from the pool (opened when none is free).
    fn reader(&self) -> Result<ReaderGuard<'_>, StoreError> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_connection(&self.path, true)?,
        };
        Ok(ReaderGuard {
            store: self,
            conn: Some(conn),
        })
    }

    /// Writes records in one transaction. Records whose id is already stored are skipped.
    pub fn insert(&self, records: &[RequestRecord]) -> Result<(), StoreError> {
        let mut w = lock(&self.writer);
        let tx = w.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(INSERT)?;
            let mut bodies = tx.prepare_cached(
                "INSERT INTO bodies (seq, request, response) VALUES (?1, ?2, ?3)",
            )?;
            for r in records {
                let attempts = serde_json::to_string(&r.attempts).unwrap_or_else(|_| "[]".into());
                let has_bodies = r.request_body.is_some() || r.response_body.is_some();
                let generated;
                let id = if r.id.is_empty() {
                    generated = super::new_request_id(r.started_at);
                    &generated
                } else {
                    &r.id
                };
                let inserted = insert.execute(params![
                    id,
                    r.started_at,
                    r.client,
                    r.key_name,
                    r.method,
                    r.endpoint,
                    r.requested_model,
                    r.provider,
                    r.upstream_model,
                    r.stream,
                    r.status,
                    r.error_type,
                    r.error_message,
                    finite(r.latency_ms),
                    r.ttft_ms.filter(|v| v.is_finite()),
                    r.upstream_ms.filter(|v| v.is_finite()),
                    r.tokens_in.map(sql_u64),
                    r.tokens_out.map(sql_u64),
                    r.tokens_estimated,
                    attempts,
                    sql_u64(r.bytes_in),
                    sql_u64(r.bytes_out),
                    r.client_disconnected,
                    has_bodies,
                ])?;
                if inserted == 1 && has_bodies {
                    bodies.execute(params![
                        tx.last_insert_rowid(),
                        r.request_body,
                        r.response_body
                    ])?;
                }
            }
        }
        tx.commit()?;
        w.batches_since_retention += 1;
        Ok(())
    }

    /// One request with its bodies.
    pub fn get(&self, id: &str, prices: &PriceTable) -> Result<Option<LoggedRecord>, StoreError> {
        let reader = self.reader()?;
        let sql = format!(
            "SELECT {COLUMNS}, b.request, b.response FROM requests r
             LEFT JOIN bodies b ON b.seq = r.seq WHERE r.id = ?1"
        );
        let found = reader
            .prepare_cached(&sql)?
            .query_row([id], |row| {
                let (mut record, has_bodies) = read_record(row)?;
                record.request_body = row.get(COLUMN_COUNT)?;
                record.response_body = row.get(COLUMN_COUNT + 1)?;
                Ok((record, has_bodies))
            })
            .optional()?;
        Ok(found.map(|(record, has_bodies)| LoggedRecord::new(record, has_bodies, prices)))
    }

    /// How many requests are stored.
    pub fn count(&self) -> Result<u64, StoreError> {
        let reader = self.reader()?;
        let n: i64 = reader.query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl LogSink for SqliteStore {
    fn write_batch(&self, records: &[RequestRecord]) -> Result<(), String> {
        if records.is_empty() {
            return Ok(());
        }
        self.insert(records).map_err(|e| e.to_string())?;
        if let Err(e) = self.retain_if_due() {
            tracing::warn!("request log retention failed (it is retried later): {e}");
        }
        Ok(())
    }
}

/// A pooled reader, returned to the pool when dropped.
struct ReaderGuard<'a> {
    store: &'a SqliteStore,
    conn: Option<Connection>,
}

impl std::ops::Deref for ReaderGuard<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Only `Drop` takes the connection out.
        match &self.conn {
            Some(c) => c,
            None => unreachable!("a reader guard always holds its connection until dropped"),
        }
    }
}

impl Drop for ReaderGuard<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut pool = lock(&self.store.readers);
            if pool.len() < POOL {
                pool.push(conn);
            }
        }
    }
}

#[cfg(test)]
mod tests;
