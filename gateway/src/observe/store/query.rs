//! Listing the log: filters, newest first, with an opaque cursor.
//!
//! The cursor is the `(started_at, id)` of the last row of a page; the next page is everything
//! strictly older in that order (a row-value comparison the `(started_at, id)` index serves). New
//! requests are newer than any page already read, so paging is stable while the log grows: no row
//! is shown twice and none that existed is skipped.
//!
//! [`Filter::matches`] applies the same filter to a record in memory (for the live tail); its
//! semantics are the SQL's: exact provider, model (requested or upstream) and endpoint; a client
//! matches its own name or a versioned one (`openai-python` matches `openai-python/1.54.3`); free
//! text is a case-insensitive (ASCII) substring of the id, client, key name, models, provider, error
//! type or error message.

use base64::Engine;
use rusqlite::types::Value;
use serde::Serialize;

use super::{read_record, LoggedRecord, SqliteStore, StoreError, COLUMNS};
use crate::observe::prices::PriceTable;
use crate::observe::RequestRecord;

/// One status condition; a filter's conditions are alternatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMatch {
    /// `2xx`, `4xx` …: the hundreds digit.
    Class(u16),
    /// An exact status such as `429`.
    Exact(u16),
    /// Any status from 400 up.
    Error,
}

impl StatusMatch {
    /// Parses `2xx`, `4xx,5xx`, `429`, `error`.
    pub fn parse_list(text: &str) -> Result<Vec<StatusMatch>, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let lower = part.to_ascii_lowercase();
            let m = if lower == "error" || lower == "errors" {
                StatusMatch::Error
            } else if let Some(d) = lower.strip_suffix("xx") {
                match d.parse::<u16>() {
                    Ok(d @ 1..=5) => StatusMatch::Class(d),
                    _ => return Err(format!("unknown status class '{part}'; use 2xx, 3xx, 4xx, 5xx, error or a status code such as 429")),
                }
            } else {
                match lower.parse::<u16>() {
                    Ok(s @ 100..=599) => StatusMatch::Exact(s),
                    _ => return Err(format!("unknown status '{part}'; use 2xx, 3xx, 4xx, 5xx, error or a status code such as 429")),
                }
            };
            out.push(m);
        }
        Ok(out)
    }

    fn matches(self, status: u16) -> bool {
        match self {
            StatusMatch::Class(d) => status / 100 == d,
            StatusMatch::Exact(s) => status == s,
            StatusMatch::Error => status >= 400,
        }
    }
}

/// Which requests to list, count or export. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Started at or after, Unix milliseconds.
    pub since: Option<i64>,
    /// Started before, Unix milliseconds.
    pub until: Option<i64>,
    pub status: Vec<StatusMatch>,
    pub provider: Option<String>,
    /// Requested or upstream model.
    pub model: Option<String>,
    pub client: Option<String>,
    pub endpoint: Option<String>,
    /// The gateway key's name.
    pub key: Option<String>,
    /// Free text.
    pub text: Option<String>,
}

/// `%`, `_` and `\` taken literally in a `LIKE … ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    hay.to_ascii_lowercase().contains(needle_lower)
}

impl Filter {
    /// The `WHERE` conditions (joined with `AND`, `1` when empty) and their parameters, for a query
    /// on `requests` aliased `r`.
    pub(crate) fn sql(&self) -> (String, Vec<Value>) {
        let mut clauses: Vec<String> = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        if let Some(since) = self.since {
            clauses.push("r.started_at >= ?".into());
            params.push(Value::Integer(since));
        }
        if let Some(until) = self.until {
            clauses.push("r.started_at < ?".into());
            params.push(Value::Integer(until));
        }
        if !self.status.is_empty() {
            let alternatives: Vec<String> = self
                .status
                .iter()
                .map(|m| match m {
                    StatusMatch::Class(d) => {
                        params.push(Value::Integer(i64::from(*d) * 100));
                        params.push(Value::Integer(i64::from(*d) * 100 + 99));
                        "r.status BETWEEN ? AND ?".to_owned()
                    }
                    StatusMatch::Exact(s) => {
                        params.push(Value::Integer(i64::from(*s)));
                        "r.status = ?".to_owned()
                    }
                    StatusMatch::Error => "r.status >= 400".to_owned(),
                })
                .collect();
            clauses.push(format!("({})", alternatives.join(" OR ")));
        }
        let text = |v: &str| Value::Text(v.to_owned());
        if let Some(p) = &self.provider {
            clauses.push("r.provider = ?".into());
            params.push(text(p));
        }
        if let Some(m) = &self.model {
            clauses.push("(r.requested_model = ? OR r.upstream_model = ?)".into());
            params.push(text(m));
            params.push(text(m));
        }
        if let Some(c) = &self.client {
            clauses.push("(r.client = ? OR r.client LIKE ? ESCAPE '\\')".into());
            params.push(text(c));
            params.push(Value::Text(format!("{}/%", like_escape(c))));
        }
        if let Some(e) = &self.endpoint {
            clauses.push("r.endpoint = ?".into());
            params.push(text(e));
        }
        if let Some(k) = &self.key {
            clauses.push("r.key_name = ?".into());
            params.push(text(k));
        }
        if let Some(t) = self.text.as_deref().filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", like_escape(t));
            let columns = [
                "r.id",
                "r.client",
                "r.key_name",
                "r.requested_model",
                "r.upstream_model",
                "r.provider",
                "r.error_type",
                "r.error_message",
            ];
            let alternatives: Vec<String> = columns
                .iter()
                .map(|c| {
                    params.push(Value::Text(pattern.clone()));
                    format!("{c} LIKE ? ESCAPE '\\'")
                })
                .collect();
            clauses.push(format!("({})", alternatives.join(" OR ")));
        }
        if clauses.is_empty() {
            ("1".into(), params)
        } else {
            (clauses.join(" AND "), params)
        }
    }

    /// Whether `r` passes this filter (the same semantics as the SQL).
    pub fn matches(&self, r: &RequestRecord) -> bool {
        if self.since.is_some_and(|s| r.started_at < s)
            || self.until.is_some_and(|u| r.started_at >= u)
        {
            return false;
        }
        if !self.status.is_empty() && !self.status.iter().any(|m| m.matches(r.status)) {
            return false;
        }
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        if !eq(&self.provider, r.provider.as_deref())
            || !eq(&self.endpoint, Some(&r.endpoint))
            || !eq(&self.key, r.key_name.as_deref())
        {
            return false;
        }
        if let Some(m) = &self.model {
            if r.requested_model.as_deref() != Some(m) && r.upstream_model.as_deref() != Some(m) {
                return false;
            }
        }
        if let Some(c) = &self.client {
            // `LIKE 'c/%'`: ASCII case-insensitive.
            let versioned = r.client.len() > c.len()
                && r.client.is_char_boundary(c.len())
                && r.client[..c.len()].eq_ignore_ascii_case(c)
                && r.client[c.len()..].starts_with('/');
            if r.client != *c && !versioned {
                return false;
            }
        }
        if let Some(t) = self.text.as_deref().filter(|t| !t.is_empty()) {
            let t = t.to_ascii_lowercase();
            let found = contains_ci(&r.id, &t)
                || contains_ci(&r.client, &t)
                || [
                    &r.key_name,
                    &r.requested_model,
                    &r.upstream_model,
                    &r.provider,
                    &r.error_type,
                    &r.error_message,
                ]
                .iter()
                .any(|f| f.as_deref().is_some_and(|v| contains_ci(v, &t)));
            if !found {
                return false;
            }
        }
        true
    }
}

/// Where a page ends: the `(started_at, id)` of its last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub started_at: i64,
    pub id: String,
}

impl Cursor {
    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{}:{}", self.started_at, self.id))
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (at, id) = text.split_once(':')?;
        Some(Cursor {
            started_at: at.parse().ok()?,
            id: id.to_owned(),
        })
    }
}

/// One page of the listing.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub data: Vec<LoggedRecord>,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

impl SqliteStore {
    /// Rows newest first, after `cursor`, at most `limit`; bodies only when `with_bodies`.
    pub(crate) fn rows(
        &self,
        filter: &Filter,
        cursor: Option<&Cursor>,
        limit: usize,
        with_bodies: bool,
    ) -> Result<Vec<(RequestRecord, bool)>, StoreError> {
        let (mut conditions, mut params) = filter.sql();
        if let Some(c) = cursor {
            conditions.push_str(" AND (r.started_at, r.id) < (?, ?)");
            params.push(Value::Integer(c.started_at));
            params.push(Value::Text(c.id.clone()));
        }
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        let (bodies_columns, join) = if with_bodies {
            (
                ", b.request, b.response",
                " LEFT JOIN bodies b ON b.seq = r.seq",
            )
        } else {
            ("", "")
        };
        let sql = format!(
            "SELECT {COLUMNS}{bodies_columns} FROM requests r{join} WHERE {conditions}
             ORDER BY r.started_at DESC, r.id DESC LIMIT ?"
        );
        let reader = self.reader()?;
        let mut stmt = reader.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |row| {
            let (mut record, has_bodies) = read_record(row)?;
            if with_bodies {
                record.request_body = row.get(super::COLUMN_COUNT)?;
                record.response_body = row.get(super::COLUMN_COUNT + 1)?;
            }
            Ok((record, has_bodies))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// A page of requests, newest first, without bodies.
    pub fn query(
        &self,
        filter: &Filter,
        cursor: Option<&Cursor>,
        limit: usize,
        prices: &PriceTable,
    ) -> Result<Page, StoreError> {
        let limit = limit.max(1);
        let mut rows = self.rows(filter, cursor, limit + 1, false)?;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = has_more.then(|| rows.last()).flatten().map(|(r, _)| {
            Cursor {
                started_at: r.started_at,
                id: r.id.clone(),
            }
            .encode()
        });
        Ok(Page {
            data: rows
                .into_iter()
                .map(|(r, has_bodies)| LoggedRecord::new(r, has_bodies, prices))
                .collect(),
            next_cursor,
            has_more,
        })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2025-01-31T12:00:00.123Z` for Unix milliseconds.
pub fn format_time(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    )
}

/// Unix milliseconds from `1738000000000` (milliseconds), `2025-01-31` or `2025-01-31T12:00:00Z`
/// (UTC; fractional seconds and a `+hh:mm` offset are accepted).
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let (y, m, d) = (
        num(parts.next()?)?,
        num(parts.next()?)?,
        num(parts.next()?)?,
    );
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
    if let Some(time) = time {
        let (clock, offset_ms) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
            (c, 0)
        } else if let Some(at) = time.rfind(['+', '-']) {
            let (c, off) = time.split_at(at);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let (oh, om) = off[1..].split_once(':').unwrap_or((&off[1..], "0"));
            (c, sign * (num(oh)? * 60 + num(om)?) * 60_000)
        } else {
            (time, 0)
        };
        let mut fields = clock.split(':');
        let h = num(fields.next()?)?;
        let min = fields.next().map_or(Some(0), num)?;
        let (s, frac) = match fields.next() {
            Some(sec) => match sec.split_once('.') {
                Some((s, f)) => {
                    let f3: String = f.chars().chain("000".chars()).take(3).collect();
                    (num(s)?, num(&f3)?)
                }
                None => (num(sec)?, 0),
            },
            None => (0, 0),
        };
        if fields.next().is_some() || h > 23 || min > 59 || s > 60 {
            return None;
        }
        ms += ((h * 60 + min) * 60 + s) * 1000 + frac - offset_ms;
    }
    Some(ms)
}
