//! Aggregates over the filtered log, per client, provider, model or day: requests, errors, tokens,
//! latency (average and p95), time to first token and cost.
//!
//! SQLite sums tokens per group *and per (provider, model)*; the price table is applied to those
//! sums here (cost is linear in tokens, so this is exact) and folded into the groups. Prices are thus
//! today's table applied to past traffic: editing a price re-prices history. Requests whose model has
//! no price are counted in `unpriced_requests` rather than silently costing zero.
//!
//! p95 is the nearest-rank percentile over every matching request (no sampling): one pass reads the
//! latencies per group and a linear-time selection finds the rank, which is several times faster than
//! SQLite's window functions (they sort).

use std::collections::{BTreeMap, HashMap};

use rusqlite::types::{Value, ValueRef};
use serde::Serialize;

use super::query::Filter;
use super::{SqliteStore, StoreError};
use crate::observe::prices::PriceTable;

/// What the aggregates are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Client,
    Provider,
    /// The upstream model, else the requested one.
    Model,
    /// The calendar day (`YYYY-MM-DD`) in UTC shifted by the caller's offset.
    Day,
}

impl GroupBy {
    pub fn parse(text: &str) -> Option<GroupBy> {
        match text.trim().to_ascii_lowercase().as_str() {
            "client" => Some(GroupBy::Client),
            "provider" => Some(GroupBy::Provider),
            "model" => Some(GroupBy::Model),
            "day" => Some(GroupBy::Day),
            _ => None,
        }
    }

    /// The SQL expression of the group key; `offset_minutes` is validated by the caller.
    fn key_sql(self, offset_minutes: i32) -> String {
        match self {
            GroupBy::Client => "r.client".into(),
            GroupBy::Provider => "r.provider".into(),
            GroupBy::Model => "COALESCE(r.upstream_model, r.requested_model)".into(),
            GroupBy::Day => format!(
                "strftime('%Y-%m-%d', r.started_at / 1000 + {}, 'unixepoch')",
                i64::from(offset_minutes) * 60
            ),
        }
    }
}

/// The largest time-zone offset accepted for day grouping, in minutes.
pub const MAX_OFFSET_MINUTES: i32 = 14 * 60;

/// Aggregates of one group (or of everything).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StatsRow {
    /// The client, provider, model or day; `null` for requests without one (e.g. refused before
    /// routing) and for the total.
    pub key: Option<String>,
    pub requests: u64,
    /// Requests answered with a status of 400 or more.
    pub errors: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub avg_latency_ms: Option<f64>,
    pub p95_latency_ms: Option<f64>,
    /// Over streamed requests that produced a first byte.
    pub avg_ttft_ms: Option<f64>,
    /// In USD, over the requests that could be priced.
    pub cost_usd: f64,
    /// Requests with token counts whose model has no price.
    pub unpriced_requests: u64,
    /// Unix milliseconds of the first and last request in the group.
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
}

/// The answer of [`SqliteStore::stats`].
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub group_by: GroupBy,
    /// Days in ascending order; other groups by request count, largest first.
    pub groups: Vec<StatsRow>,
    pub total: StatsRow,
}

#[derive(Default)]
struct Sums {
    row: StatsRow,
    latency_sum: f64,
    ttft_sum: f64,
    ttft_count: u64,
}

impl Sums {
    fn add(&mut self, other: &Part, prices: &PriceTable) {
        let r = &mut self.row;
        r.requests += other.requests;
        r.errors += other.errors;
        r.tokens_in += other.tokens_in;
        r.tokens_out += other.tokens_out;
        self.latency_sum += other.latency_sum;
        self.ttft_sum += other.ttft_sum;
        self.ttft_count += other.ttft_count;
        match prices.price(other.provider.as_deref(), other.model.as_deref()) {
            Some(p) => r.cost_usd += p.cost(other.tokens_in, other.tokens_out),
            None => r.unpriced_requests += other.with_tokens,
        }
        r.first_at = [r.first_at, Some(other.first_at)]
            .into_iter()
            .flatten()
            .min();
        r.last_at = [r.last_at, Some(other.last_at)].into_iter().flatten().max();
    }

    fn finish(mut self, p95: Option<f64>) -> StatsRow {
        let n = self.row.requests;
        self.row.avg_latency_ms = (n > 0).then(|| self.latency_sum / n as f64);
        self.row.avg_ttft_ms =
            (self.ttft_count > 0).then(|| self.ttft_sum / self.ttft_count as f64);
        self.row.p95_latency_ms = p95;
        self.row
    }
}

/// Sums for one (group, provider, model).
struct Part {
    key: Option<String>,
    provider: Option<String>,
    model: Option<String>,
    requests: u64,
    errors: u64,
    tokens_in: u64,
    tokens_out: u64,
    latency_sum: f64,
    ttft_sum: f64,
    ttft_count: u64,
    with_tokens: u64,
    first_at: i64,
    last_at: i64,
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl SqliteStore {
    /// Aggregates of the requests `filter` selects, grouped by `group_by`; days start at UTC shifted
    /// by `offset_minutes` (clamped to ±14 h).
    pub fn stats(
        &self,
        filter: &Filter,
        group_by: GroupBy,
        offset_minutes: i32,
        prices: &PriceTable,
    ) -> Result<Stats, StoreError> {
        let offset = offset_minutes.clamp(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES);
        let key = group_by.key_sql(offset);
        let (conditions, params) = filter.sql();
        let reader = self.reader()?;
        let sql = format!(
            "SELECT {key} AS k, r.provider, COALESCE(r.upstream_model, r.requested_model) AS m,
                COUNT(*), SUM(r.status >= 400), SUM(COALESCE(r.tokens_in, 0)),
                SUM(COALESCE(r.tokens_out, 0)), SUM(r.latency_ms),
                SUM(CASE WHEN r.stream THEN r.ttft_ms END), COUNT(CASE WHEN r.stream THEN r.ttft_ms END),
                SUM(r.tokens_in IS NOT NULL OR r.tokens_out IS NOT NULL),
                MIN(r.started_at), MAX(r.started_at)
             FROM requests r WHERE {conditions} GROUP BY k, r.provider, m"
        );
        let parts = {
            let mut stmt = reader.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |row| {
                Ok(Part {
                    key: row.get(0)?,
                    provider: row.get(1)?,
                    model: row.get(2)?,
                    requests: count(row.get(3)?),
                    errors: count(row.get(4)?),
                    tokens_in: count(row.get(5)?),
                    tokens_out: count(row.get(6)?),
                    latency_sum: row.get::<_, Option<f64>>(7)?.unwrap_or(0.0),
                    ttft_sum: row.get::<_, Option<f64>>(8)?.unwrap_or(0.0),
                    ttft_count: count(row.get(9)?),
                    with_tokens: count(row.get(10)?),
                    first_at: row.get(11)?,
                    last_at: row.get(12)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let (p95_by_key, total_p95) = p95(&reader, &key, &conditions, &params)?;

        let mut groups: BTreeMap<Option<String>, Sums> = BTreeMap::new();
        let mut total = Sums::default();
        for part in &parts {
            groups
                .entry(part.key.clone())
                .or_insert_with(|| Sums {
                    row: StatsRow {
                        key: part.key.clone(),
                        ..StatsRow::default()
                    },
                    ..Sums::default()
                })
                .add(part, prices);
            total.add(part, prices);
        }
        let mut rows: Vec<StatsRow> = groups
            .into_iter()
            .map(|(k, sums)| {
                let p = p95_by_key.get(&k).copied();
                sums.finish(p)
            })
            .collect();
        if group_by != GroupBy::Day {
            rows.sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| a.key.cmp(&b.key)));
        }
        Ok(Stats {
            group_by,
            groups: rows,
            total: total.finish(total_p95),
        })
    }
}

/// The nearest-rank 95th percentile of `values` (reordered in place).
fn nearest_rank_p95(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let rank = (95 * values.len()).div_ceil(100).max(1);
    let (_, v, _) = values.select_nth_unstable_by(rank - 1, f64::total_cmp);
    Some(*v)
}

/// p95 per group key, and over all groups.
type Percentiles = (BTreeMap<Option<String>, f64>, Option<f64>);

/// Nearest-rank p95 of latency per group key, and over all of them.
fn p95(
    conn: &rusqlite::Connection,
    key: &str,
    conditions: &str,
    params: &[Value],
) -> Result<Percentiles, StoreError> {
    let sql = format!("SELECT {key}, r.latency_ms FROM requests r WHERE {conditions}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
    let mut by_key: HashMap<String, Vec<f64>> = HashMap::new();
    let mut without_key: Vec<f64> = Vec::new();
    while let Some(row) = rows.next()? {
        let latency = row.get::<_, Option<f64>>(1)?.unwrap_or(0.0);
        match row.get_ref(0)? {
            ValueRef::Text(bytes) => {
                let k = String::from_utf8_lossy(bytes);
                match by_key.get_mut(k.as_ref()) {
                    Some(v) => v.push(latency),
                    None => {
                        by_key.insert(k.into_owned(), vec![latency]);
                    }
                }
            }
            _ => without_key.push(latency),
        }
    }
    let mut all: Vec<f64> =
        Vec::with_capacity(without_key.len() + by_key.values().map(Vec::len).sum::<usize>());
    let mut out = BTreeMap::new();
    for (k, mut v) in by_key {
        all.extend_from_slice(&v);
        if let Some(p) = nearest_rank_p95(&mut v) {
            out.insert(Some(k), p);
        }
    }
    all.extend_from_slice(&without_key);
    if let Some(p) = nearest_rank_p95(&mut without_key) {
        out.insert(None, p);
    }
    Ok((out, nearest_rank_p95(&mut all)))
}
