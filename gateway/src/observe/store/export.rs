//! Exporting the log as JSON Lines or CSV, in chunks.
//!
//! An [`Export`] walks the filtered log newest first with the same cursor as the listing, one short
//! query per chunk, so memory stays bounded by the chunk size whatever the log holds, no read
//! transaction is held while a slow client downloads, and the writer is never blocked.
//!
//! CSV follows RFC 4180: a header row, CRLF line ends, fields with commas, quotes or line breaks
//! quoted with inner quotes doubled. Text that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'` inside quotes: user agents and error messages
//! come from outside, and an export is meant to be opened in a spreadsheet.

use std::fmt::Write;

use bytes::Bytes;

use super::query::{format_time, Cursor, Filter};
use super::{LoggedRecord, SqliteStore, StoreError};
use crate::observe::prices::PriceTable;

/// Rows per chunk.
const CHUNK_ROWS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(ExportFormat::Jsonl),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "application/x-ndjson",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
        }
    }
}

const CSV_HEADER: &[&str] = &[
    "id",
    "time",
    "started_at",
    "client",
    "key_name",
    "method",
    "endpoint",
    "requested_model",
    "provider",
    "upstream_model",
    "stream",
    "status",
    "error_type",
    "error_message",
    "latency_ms",
    "ttft_ms",
    "upstream_ms",
    "tokens_in",
    "tokens_out",
    "tokens_estimated",
    "cost_usd",
    "attempts",
    "bytes_in",
    "bytes_out",
    "client_disconnected",
];

/// Appends one CSV field (without its separator).
pub(crate) fn csv_field(out: &mut String, value: &str) {
    let formula = matches!(
        value.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if !formula && !value.contains([',', '"', '\n', '\r']) {
        out.push_str(value);
        return;
    }
    out.push('"');
    if formula {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

fn csv_row(out: &mut String, fields: &[String]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f);
    }
    out.push_str("\r\n");
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn ms(v: f64) -> String {
    format!("{v:.3}")
}

fn csv_record(out: &mut String, l: &LoggedRecord, bodies: bool) {
    let r = &l.record;
    let mut fields = vec![
        r.id.clone(),
        format_time(r.started_at),
        r.started_at.to_string(),
        r.client.clone(),
        opt(&r.key_name),
        r.method.clone(),
        r.endpoint.clone(),
        opt(&r.requested_model),
        opt(&r.provider),
        opt(&r.upstream_model),
        r.stream.to_string(),
        r.status.to_string(),
        opt(&r.error_type),
        opt(&r.error_message),
        ms(r.latency_ms),
        r.ttft_ms.map(ms).unwrap_or_default(),
        r.upstream_ms.map(ms).unwrap_or_default(),
        opt(&r.tokens_in),
        opt(&r.tokens_out),
        r.tokens_estimated.to_string(),
        opt(&l.cost_usd),
        serde_json::to_string(&r.attempts).unwrap_or_default(),
        r.bytes_in.to_string(),
        r.bytes_out.to_string(),
        r.client_disconnected.to_string(),
    ];
    if bodies {
        fields.push(opt(&r.request_body));
        fields.push(opt(&r.response_body));
    }
    csv_row(out, &fields);
}

/// An export in progress: call [`Export::next_chunk`] until it returns `None`.
pub struct Export {
    filter: Filter,
    format: ExportFormat,
    bodies: bool,
    prices: PriceTable,
    cursor: Option<Cursor>,
    header_written: bool,
    done: bool,
    chunk_rows: usize,
}

impl Export {
    /// Exports the requests `filter` selects, newest first; with `bodies`, their bodies too.
    pub fn new(filter: Filter, format: ExportFormat, bodies: bool, prices: PriceTable) -> Export {
        Export {
            filter,
            format,
            bodies,
            prices,
            cursor: None,
            header_written: false,
            done: false,
            chunk_rows: CHUNK_ROWS,
        }
    }

    /// Rows per chunk (at least one).
    pub fn with_chunk_rows(mut self, rows: usize) -> Export {
        self.chunk_rows = rows.max(1);
        self
    }

    /// The next piece of the file, or `None` at its end.
    pub fn next_chunk(&mut self, store: &SqliteStore) -> Result<Option<Bytes>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let rows = store.rows(
            &self.filter,
            self.cursor.as_ref(),
            self.chunk_rows,
            self.bodies,
        )?;
        if rows.len() < self.chunk_rows {
            self.done = true;
        }
        self.cursor = rows.last().map(|(r, _)| Cursor {
            started_at: r.started_at,
            id: r.id.clone(),
        });
        let mut out = String::with_capacity(rows.len() * 512 + 512);
        if self.format == ExportFormat::Csv && !self.header_written {
            let mut header: Vec<String> = CSV_HEADER.iter().map(|h| (*h).to_owned()).collect();
            if self.bodies {
                header.push("request_body".into());
                header.push("response_body".into());
            }
            csv_row(&mut out, &header);
        }
        self.header_written = true;
        for (record, has_bodies) in rows {
            let logged = LoggedRecord::new(record, has_bodies, &self.prices);
            match self.format {
                ExportFormat::Jsonl => {
                    if let Ok(line) = serde_json::to_string(&logged) {
                        let _ = writeln!(out, "{line}");
                    }
                }
                ExportFormat::Csv => csv_record(&mut out, &logged, self.bodies),
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        Ok(Some(Bytes::from(out)))
    }
}
