//! Retention and clearing.
//!
//! Retention deletes by age (`started_at` before now minus the limit) and by count (everything at or
//! below the newest `seq` outside the limit: insertion order, which is arrival order give or take
//! the length of a request). It runs in chunks of [`RETENTION_CHUNK`] rows, each its own
//! transaction, so even a large first pass never holds the writer for long; bodies go with their
//! request (a trigger). Freed pages are reused by new rows; they are returned to the file system
//! (incremental auto-vacuum) when more than a quarter of the file is free, and always on clear.

use std::time::Instant;

use rusqlite::{params, Connection};

use super::{lock, now_ms, sql_u64, SqliteStore, StoreError};

/// Rows deleted per retention transaction.
const RETENTION_CHUNK: i64 = 5000;

/// Gives freed pages back to the file system (the pragma frees one page per step, so step it out).
fn incremental_vacuum(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare("PRAGMA incremental_vacuum")?;
    let mut rows = stmt.query([])?;
    while rows.next()?.is_some() {}
    Ok(())
}

impl SqliteStore {
    /// Runs retention when enough batches or time have passed since it last ran.
    pub(super) fn retain_if_due(&self) -> Result<(), StoreError> {
        let settings = self.settings();
        let due = {
            let w = lock(&self.writer);
            w.batches_since_retention >= settings.retention_every_batches.max(1)
                || w.last_retention.elapsed() >= settings.retention_interval
        };
        if due {
            self.apply_retention()?;
        }
        Ok(())
    }

    /// Deletes what is older than the age limit and beyond the row limit (oldest first); returns
    /// the number of requests deleted.
    pub fn apply_retention(&self) -> Result<u64, StoreError> {
        let settings = self.settings();
        let mut w = lock(&self.writer);
        w.batches_since_retention = 0;
        w.last_retention = Instant::now();
        let mut deleted = 0u64;
        if let Some(age) = settings.max_age {
            let cutoff =
                now_ms().saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
            loop {
                let n = w.conn.execute(
                    "DELETE FROM requests WHERE seq IN
                       (SELECT seq FROM requests WHERE started_at < ?1 ORDER BY started_at LIMIT ?2)",
                    params![cutoff, RETENTION_CHUNK],
                )?;
                deleted += n as u64;
                if (n as i64) < RETENTION_CHUNK {
                    break;
                }
            }
        }
        if let Some(max) = settings.max_rows {
            // Everything at or below the newest `seq` minus the limit goes. A new row's `seq` is the
            // largest one plus one, so this keeps at most `max` rows (exactly `max` unless the age
            // pass left gaps), and it costs one B-tree lookup where counting the kept rows would
            // read them all.
            let newest: Option<i64> =
                w.conn
                    .query_row("SELECT max(seq) FROM requests", [], |r| r.get(0))?;
            let cut = newest.map(|n| n.saturating_sub(sql_u64(max)));
            if let Some(cut) = cut.filter(|&c| c > 0) {
                loop {
                    let n = w.conn.execute(
                        "DELETE FROM requests WHERE seq IN
                           (SELECT seq FROM requests WHERE seq <= ?1 ORDER BY seq LIMIT ?2)",
                        params![cut, RETENTION_CHUNK],
                    )?;
                    deleted += n as u64;
                    if (n as i64) < RETENTION_CHUNK {
                        break;
                    }
                }
            }
        }
        if deleted > 0 {
            // In steady state new rows reuse the freed pages; the file shrinks only when a large
            // share of it is free (a lowered limit, a long pause).
            let free: i64 = w
                .conn
                .pragma_query_value(None, "freelist_count", |r| r.get(0))?;
            let pages: i64 = w
                .conn
                .pragma_query_value(None, "page_count", |r| r.get(0))?;
            if free * 4 > pages {
                incremental_vacuum(&w.conn)?;
            }
        }
        Ok(deleted)
    }

    /// Deletes every request and body; returns how many requests there were. Deleted content is
    /// overwritten, and the file and its WAL shrink.
    pub fn clear(&self) -> Result<u64, StoreError> {
        let mut w = lock(&self.writer);
        w.conn.pragma_update(None, "secure_delete", true)?;
        let result = (|| -> Result<u64, StoreError> {
            let tx = w.conn.transaction()?;
            tx.execute("DELETE FROM bodies", [])?;
            let n = tx.execute("DELETE FROM requests", [])?;
            tx.commit()?;
            Ok(n as u64)
        })();
        let _ = w.conn.pragma_update(None, "secure_delete", false);
        let n = result?;
        incremental_vacuum(&w.conn)?;
        // Readers may hold the WAL; a partial checkpoint is fine, the next one finishes the job.
        let _: rusqlite::Result<i64> =
            w.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0));
        Ok(n)
    }
}
