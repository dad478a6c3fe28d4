//! The request-log part of the admin API, nested under `/admin/logs` (behind the admin guard):
//!
//! | method and path        | what                                                              |
//! | ---------------------- | ----------------------------------------------------------------- |
//! | `GET /`                | a page of requests, newest first: filters + `cursor` + `limit`     |
//! | `GET /{id}`            | one request with its bodies                                        |
//! | `GET /tail`            | new requests as server-sent events (`event: request`), filtered    |
//! | `GET /export`          | `format=jsonl` (default) or `csv`, filtered, streamed as a file    |
//! | `DELETE /`             | deletes the whole log                                              |
//! | `GET /stats`           | aggregates, `group_by=client|provider|model|day`, filtered        |
//! | `GET /prices`          | the price table in force (`model` and `provider` look one up)      |
//!
//! Filters, the same everywhere: `since` and `until` (Unix milliseconds, `2025-01-31` or
//! `2025-01-31T12:00:00Z`; `until` is exclusive), `status` (`2xx`, `4xx`, `5xx`, `error`, a code,
//! or a comma-separated mix), `provider`, `model` (requested or upstream), `client` (`openai-python`
//! also matches `openai-python/1.54.3`), `endpoint`, `key` (gateway key name) and `q` (free text over
//! id, client, models, provider and error). Empty values are ignored; unknown parameters are refused,
//! so a typo does not silently show everything.
//!
//! Handlers only parse and map: the SQLite work runs on the blocking pool, and an export is pulled
//! chunk by chunk as the client reads, so memory stays bounded whatever the log holds. Without a
//! data directory nothing is stored: lists are empty and say `"stored": false`, while the live
//! tail still works.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::stream;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::error::GatewayError;
use crate::observe::prices::{PriceTable, DEFAULTS_AS_OF};
use crate::observe::store::{
    format_time, now_ms, parse_time, Cursor, Export, ExportFormat, Filter, GroupBy, LoggedRecord,
    SqliteStore, StatsRow, StatusMatch, StoreError, MAX_OFFSET_MINUTES,
};
use crate::server::AppState;

/// Page size when none is asked for, and the largest one allowed.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;
/// Comment lines that keep idle tails (and the proxies in between) from timing out.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

const FILTER_PARAMS: &[&str] = &[
    "since", "until", "status", "provider", "model", "client", "endpoint", "key", "q",
];

/// The routes, relative to where they are nested (`/admin/logs`).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(list).delete(clear))
        .route("/tail", get(tail))
        .route("/export", get(export))
        .route("/stats", get(stats))
        .route("/prices", get(prices))
        .route("/{id}", get(one))
}

type Params = HashMap<String, String>;

/// A query parameter, with empty values treated as absent.
fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// The filter in `params`; any parameter that is neither a filter nor in `extra` is refused.
fn filter_from(params: &Params, extra: &[&str]) -> Result<Filter, GatewayError> {
    if let Some(unknown) = params
        .keys()
        .find(|k| !FILTER_PARAMS.contains(&k.as_str()) && !extra.contains(&k.as_str()))
    {
        let mut known: Vec<&str> = FILTER_PARAMS.to_vec();
        known.extend_from_slice(extra);
        return Err(GatewayError::invalid(
            format!(
                "unknown query parameter '{unknown}'; use {}",
                known.join(", ")
            ),
            Some(unknown.clone()),
        ));
    }
    let time = |name: &str| -> Result<Option<i64>, GatewayError> {
        param(params, name)
            .map(|v| {
                parse_time(v).ok_or_else(|| {
                    GatewayError::invalid(
                        format!("'{v}' is not a time; use Unix milliseconds, 2025-01-31 or 2025-01-31T12:00:00Z"),
                        Some(name.to_owned()),
                    )
                })
            })
            .transpose()
    };
    let text = |name: &str| param(params, name).map(str::to_owned);
    Ok(Filter {
        since: time("since")?,
        until: time("until")?,
        status: match param(params, "status") {
            Some(s) => StatusMatch::parse_list(s)
                .map_err(|e| GatewayError::invalid(e, Some("status".to_owned())))?,
            None => Vec::new(),
        },
        provider: text("provider"),
        model: text("model"),
        client: text("client"),
        endpoint: text("endpoint"),
        key: text("key"),
        text: text("q"),
    })
}

fn parse_bool(params: &Params, name: &str) -> Result<bool, GatewayError> {
    match param(params, name).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => Err(GatewayError::invalid(
            format!("'{other}' is not a boolean; use true or false"),
            Some(name.to_owned()),
        )),
    }
}

/// Providers that run on this machine cost nothing: the mock, and any whose base URL is loopback.
fn price_table(state: &AppState) -> PriceTable {
    let table = state
        .log_store
        .as_ref()
        .map_or_else(PriceTable::default, |s| s.prices());
    let live = state.live();
    let local = live.config.providers.iter().filter_map(|p| {
        let url = reqwest::Url::parse(&p.base_url).ok()?;
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        crate::server::is_loopback_host(host).then(|| p.id.clone())
    });
    table.with_free_providers(local.collect::<Vec<_>>())
}

/// Runs store work on the blocking pool.
async fn blocking<T: Send + 'static>(
    store: Arc<SqliteStore>,
    f: impl FnOnce(&SqliteStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, GatewayError> {
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(GatewayError::Internal(format!(
            "the request log failed: {e}"
        ))),
        Err(e) => Err(GatewayError::Internal(format!(
            "the request log task failed: {e}"
        ))),
    }
}

async fn list(
    State(state): State<Arc<AppState>>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, GatewayError> {
    let filter = filter_from(&params, &["cursor", "limit"])?;
    let cursor = param(&params, "cursor")
        .map(|c| {
            Cursor::decode(c).ok_or_else(|| {
                GatewayError::invalid(
                    "the cursor is not one this API handed out; pass next_cursor from the previous page as it is",
                    Some("cursor".to_owned()),
                )
            })
        })
        .transpose()?;
    let limit = match param(&params, "limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                GatewayError::invalid(
                    format!("limit must be a number from 1 to {MAX_LIMIT}"),
                    Some("limit".to_owned()),
                )
            })?,
    };
    let dropped = state.recorder.dropped();
    let Some(store) = state.log_store.clone() else {
        return Ok(Json(json!({
            "object": "list", "data": [], "next_cursor": null, "has_more": false,
            "stored": false, "dropped": dropped,
        })));
    };
    let prices = price_table(&state);
    let page = blocking(store, move |s| {
        s.query(&filter, cursor.as_ref(), limit, &prices)
    })
    .await?;
    Ok(Json(json!({
        "object": "list",
        "data": page.data,
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
        "stored": true,
        "dropped": dropped,
    })))
}

async fn one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<LoggedRecord>, GatewayError> {
    let not_found =
        || GatewayError::NotFound(format!("no request with the id '{id}' is in the log"));
    let Some(store) = state.log_store.clone() else {
        return Err(not_found());
    };
    let prices = price_table(&state);
    let wanted = id.clone();
    match blocking(store, move |s| s.get(&wanted, &prices)).await? {
        Some(record) => Ok(Json(record)),
        None => Err(not_found()),
    }
}

async fn clear(State(state): State<Arc<AppState>>) -> Result<Json<Value>, GatewayError> {
    let deleted = match state.log_store.clone() {
        Some(store) => blocking(store, SqliteStore::clear).await?,
        None => 0,
    };
    tracing::info!(deleted, "request log cleared");
    Ok(Json(json!({ "deleted": deleted })))
}

async fn stats(
    State(state): State<Arc<AppState>>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, GatewayError> {
    let filter = filter_from(&params, &["group_by", "tz_offset"])?;
    let group_by = match param(&params, "group_by") {
        None => GroupBy::Model,
        Some(g) => GroupBy::parse(g).ok_or_else(|| {
            GatewayError::invalid(
                format!("cannot group by '{g}'; use client, provider, model or day"),
                Some("group_by".to_owned()),
            )
        })?,
    };
    let max = MAX_OFFSET_MINUTES;
    let offset = match param(&params, "tz_offset") {
        None => 0,
        Some(o) => o
            .parse::<i32>()
            .ok()
            .filter(|o| (-max..=max).contains(o))
            .ok_or_else(|| {
                GatewayError::invalid(
                    format!(
                        "tz_offset is minutes east of UTC, from -{max} to {max} (120 for UTC+2)"
                    ),
                    Some("tz_offset".to_owned()),
                )
            })?,
    };
    let Some(store) = state.log_store.clone() else {
        return Ok(Json(json!({
            "group_by": group_by, "groups": [], "total": StatsRow::default(), "stored": false,
            "tz_offset": offset,
        })));
    };
    let prices = price_table(&state);
    let stats = blocking(store, move |s| s.stats(&filter, group_by, offset, &prices)).await?;
    let mut out = serde_json::to_value(stats).unwrap_or_else(|_| json!({}));
    out["stored"] = json!(true);
    out["tz_offset"] = json!(offset);
    Ok(Json(out))
}

async fn prices(
    State(state): State<Arc<AppState>>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, GatewayError> {
    if let Some(unknown) = params.keys().find(|k| *k != "model" && *k != "provider") {
        return Err(GatewayError::invalid(
            format!("unknown query parameter '{unknown}'; use model and provider"),
            Some(unknown.clone()),
        ));
    }
    let table = price_table(&state);
    let mut out = json!({
        "object": "list",
        "currency": "USD",
        "unit": "per million tokens",
        "defaults_as_of": DEFAULTS_AS_OF,
        "note": "defaults are approximate public list prices for standard usage; override them in the config",
        "free_providers": table.free_providers(),
        "data": table.entries(),
    });
    if let Some(model) = param(&params, "model") {
        let provider = param(&params, "provider");
        out["lookup"] = json!({
            "model": model,
            "provider": provider,
            "price": table.price(provider, Some(model)),
            "matched": table.lookup(model).map(|e| e.model.clone()),
        });
    }
    Ok(Json(out))
}

/// New records as they are written, filtered; a subscriber that falls behind is told how many it
/// missed (`event: lagged`) and carries on — it never slows the writer down.
async fn tail(
    State(state): State<Arc<AppState>>,
    Query(params): Query<Params>,
) -> Result<Response, GatewayError> {
    let filter = filter_from(&params, &[])?;
    let prices = price_table(&state);
    let rx = state.recorder.subscribe();
    let events = stream::unfold(
        (rx, filter, prices),
        |(mut rx, filter, prices)| async move {
            loop {
                let event = match rx.recv().await {
                    Ok(record) => {
                        if !filter.matches(&record) {
                            continue;
                        }
                        match Event::default()
                            .event("request")
                            .json_data(LoggedRecord::summary(&record, &prices))
                        {
                            Ok(e) => e,
                            Err(_) => continue,
                        }
                    }
                    Err(RecvError::Lagged(skipped)) => Event::default()
                        .event("lagged")
                        .data(json!({ "skipped": skipped }).to_string()),
                    Err(RecvError::Closed) => return None,
                };
                return Some((Ok::<_, Infallible>(event), (rx, filter, prices)));
            }
        },
    );
    let mut response = Sse::new(futures_util::StreamExt::take_until(events, state.closed()))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
        .into_response();
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// The filtered log as a file, pulled from the store one chunk at a time as the client reads.
async fn export(
    State(state): State<Arc<AppState>>,
    Query(params): Query<Params>,
) -> Result<Response, GatewayError> {
    let filter = filter_from(&params, &["format", "bodies"])?;
    let format = match param(&params, "format") {
        None => ExportFormat::Jsonl,
        Some(f) => ExportFormat::parse(f).ok_or_else(|| {
            GatewayError::invalid(
                format!("unknown export format '{f}'; use jsonl or csv"),
                Some("format".to_owned()),
            )
        })?,
    };
    let bodies = parse_bool(&params, "bodies")?;
    let prices = price_table(&state);
    let start = state
        .log_store
        .clone()
        .map(|store| (Export::new(filter, format, bodies, prices), store));
    let chunks = stream::unfold(start, |state| async move {
        let (mut export, store) = state?;
        let step = tokio::task::spawn_blocking(move || {
            let chunk = export.next_chunk(&store);
            (export, store, chunk)
        })
        .await;
        match step {
            Ok((export, store, Ok(Some(chunk)))) => Some((Ok(chunk), Some((export, store)))),
            Ok((_, _, Ok(None))) => None,
            Ok((_, _, Err(e))) => {
                tracing::error!("request log export failed: {e}");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    let stamp: String = format_time(now_ms())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(15)
        .collect();
    let disposition = format!(
        "attachment; filename=\"switchboard-requests-{stamp}Z.{}\"",
        format.extension()
    );
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn param_of(e: GatewayError) -> Option<String> {
        match e {
            GatewayError::InvalidRequest { param, .. } => param,
            _ => None,
        }
    }

    #[test]
    fn query_parameters_become_a_filter() {
        let f = filter_from(
            &params(&[
                ("since", "2025-01-27"),
                ("until", "1738000000000"),
                ("status", "4xx,5xx"),
                ("provider", "openai"),
                ("model", ""),
                ("q", " timeout "),
                ("limit", "10"),
            ]),
            &["limit"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.since, Some(1_737_936_000_000));
        assert_eq!(f.until, Some(1_738_000_000_000));
        assert_eq!(f.status, [StatusMatch::Class(4), StatusMatch::Class(5)]);
        assert_eq!(f.provider.as_deref(), Some("openai"));
        assert_eq!(f.model, None, "empty values do not filter");
        assert_eq!(f.text.as_deref(), Some("timeout"));
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad =
            |pairs: &[(&str, &str)]| filter_from(&params(pairs), &[]).err().and_then(param_of);
        assert_eq!(bad(&[("stauts", "5xx")]).as_deref(), Some("stauts"));
        assert_eq!(bad(&[("status", "7xx")]).as_deref(), Some("status"));
        assert_eq!(bad(&[("since", "last tuesday")]).as_deref(), Some("since"));
        assert_eq!(
            parse_bool(&params(&[("bodies", "maybe")]), "bodies")
                .err()
                .and_then(param_of)
                .as_deref(),
            Some("bodies")
        );
    }
}
