//! The request log over HTTP: `/admin/logs` on a real gateway with a data directory.
//!
//! Records reach the log through the gateway's own recorder (`Gateway::recorder().submit`), the
//! same path the request middleware closes records into. The tests at the end drive real requests
//! and need the request path to record them; they are ignored until that wiring lands.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use switchboard_gateway::observe::{
    Attempt, Finished, LogSettings, Partial, Recorder, RequestRecord,
};
use switchboard_gateway::Gateway;

use crate::support::*;

const MOCK: &str = "[mock]\nttft_ms = 0\ntokens_per_second = 0\n";

async fn logged_gateway(tag: &str) -> (Gateway, std::path::PathBuf) {
    let dir = temp_dir(tag);
    let (gw, _) = file_gateway(MOCK, &dir).await;
    (gw, dir)
}

fn logs_url(gw: &Gateway) -> String {
    format!("http://{}/admin/logs", gw.local_addr())
}

fn record(id: &str, started_at: i64) -> RequestRecord {
    RequestRecord {
        id: id.into(),
        started_at,
        client: "openai-python/1.54.3".into(),
        method: "POST".into(),
        endpoint: "/v1/chat/completions".into(),
        requested_model: Some("gpt-4o".into()),
        provider: Some("openai".into()),
        upstream_model: Some("gpt-4o".into()),
        status: 200,
        latency_ms: 120.0,
        attempts: vec![Attempt {
            provider: "openai".into(),
            model: "gpt-4o".into(),
            outcome: "ok".into(),
            status: Some(200),
            ms: 110.0,
        }],
        ..RequestRecord::default()
    }
}

/// Hands `r` to the gateway's recorder as a closed request whose answer reported `usage`.
fn submit(recorder: &Recorder, r: RequestRecord, bodies: bool) {
    let answer = json!({
        "choices": [{"message": {"role": "assistant", "content": "hello there"}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 500},
    })
    .to_string();
    recorder.submit(Finished {
        partial: Partial {
            record: r,
            request_body: Some(Bytes::from_static(
                br#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#,
            )),
            settings: LogSettings {
                bodies,
                ..LogSettings::default()
            },
        },
        response_sample: Bytes::from(answer),
        response_tail: Bytes::new(),
    });
}

/// Lists the log (with `query`) until it holds at least `n` requests.
async fn wait_for(gw: &Gateway, query: &str, n: usize) -> Value {
    let started = Instant::now();
    loop {
        let (status, v) = get_json(&format!("{}?{query}", logs_url(gw))).await;
        assert_eq!(status, 200, "{v}");
        let got = v["data"].as_array().map_or(0, Vec::len);
        if got >= n {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the log holds {got} of {n} requests: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["id"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_log_lists_filters_pages_and_shows_one_request_with_bodies() {
    let (gw, dir) = logged_gateway("logs-list").await;
    let recorder = gw.recorder();
    let base = 1_738_000_000_000;
    for i in 0..30 {
        let mut r = record(&format!("req_{i:02}"), base + i * 1000);
        if i % 10 == 9 {
            r.status = 502;
            r.provider = Some("vllm".into());
            r.upstream_model = Some("Qwen/Qwen2.5-7B".into());
            r.error_type = Some("upstream_error".into());
            r.error_message = Some("could not connect to provider 'vllm'".into());
        }
        submit(&recorder, r, i == 5);
    }
    let all = wait_for(&gw, "limit=1000", 30).await;
    assert!(dir.join("requests.db").exists());
    assert_eq!(all["stored"], true);
    assert_eq!(all["dropped"], 0);
    assert_eq!(all["data"][0]["id"], "req_29", "newest first");
    let first = &all["data"][29];
    assert_eq!(first["tokens_in"], 1000);
    assert_eq!(first["tokens_out"], 500);
    // 1000 × $2.50/M + 500 × $10/M at gpt-4o prices.
    assert!((first["cost_usd"].as_f64().unwrap_or(0.0) - 0.0075).abs() < 1e-12);
    assert_eq!(first["attempts"][0]["outcome"], "ok");
    assert!(first["request_body"].is_null(), "lists carry no bodies");

    // Filters.
    let (_, errors) = get_json(&format!("{}?status=5xx", logs_url(&gw))).await;
    assert_eq!(ids(&errors), ["req_29", "req_19", "req_09"]);
    let (_, v) = get_json(&format!("{}?provider=vllm&q=CONNECT", logs_url(&gw))).await;
    assert_eq!(ids(&v).len(), 3);
    let (_, v) = get_json(&format!(
        "{}?model=Qwen/Qwen2.5-7B&since={}&until={}",
        logs_url(&gw),
        base + 10_000,
        base + 20_000
    ))
    .await;
    assert_eq!(ids(&v), ["req_19"]);
    let (_, v) = get_json(&format!(
        "{}?client=openai-python&status=2xx",
        logs_url(&gw)
    ))
    .await;
    assert_eq!(ids(&v).len(), 27);

    // Pages of 8 through a cursor, with new requests arriving in between.
    let mut seen = Vec::new();
    let mut url = format!("{}?limit=8", logs_url(&gw));
    loop {
        let (status, page) = get_json(&url).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page));
        submit(
            &recorder,
            record(&format!("new_{}", seen.len()), base + 999_000),
            false,
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{}?limit=8&cursor={c}", logs_url(&gw)),
            None => {
                assert_eq!(page["has_more"], false);
                break;
            }
        }
    }
    let want: Vec<String> = (0..30).rev().map(|i| format!("req_{i:02}")).collect();
    assert_eq!(seen, want);

    // One request, with its bodies.
    let (status, one) = get_json(&format!("{}/req_05", logs_url(&gw))).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["has_bodies"], true);
    assert!(one["request_body"]
        .as_str()
        .is_some_and(|b| b.contains("\"content\":\"hi\"")));
    assert!(one["response_body"]
        .as_str()
        .is_some_and(|b| b.contains("hello there")));
    let (status, missing) = get_json(&format!("{}/req_nope", logs_url(&gw))).await;
    assert_eq!(status, 404);
    envelope(&missing);

    // Bad parameters are 400s naming the parameter.
    for (query, param) in [
        ("stauts=5xx", "stauts"),
        ("status=9xx", "status"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("cursor=garbage!", "cursor"),
        ("since=yesterday", "since"),
    ] {
        let (status, v) = get_json(&format!("{}?{query}", logs_url(&gw))).await;
        assert_eq!(status, 400, "{query}: {v}");
        assert_eq!(envelope(&v)["param"], param, "{query}");
    }
}

#[tokio::test]
async fn the_tail_streams_new_requests_as_events() {
    let (gw, _dir) = logged_gateway("logs-tail").await;
    let recorder = gw.recorder();
    let response = client()
        .get(format!("{}/tail?status=5xx", logs_url(&gw)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream")));
    assert_eq!(
        response
            .headers()
            .get("x-frame-options")
            .and_then(|v| v.to_str().ok()),
        Some("DENY"),
        "behind the admin guard"
    );
    // One the filter drops, then one it keeps.
    submit(&recorder, record("req_ok", 1), false);
    let mut failed = record("req_failed", 2);
    failed.status = 503;
    submit(&recorder, failed, true);

    let mut body = response.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !text.contains("\n\n") {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("no event arrived ({}): {text}", other.is_ok()),
        }
    }
    let event = text.split("\n\n").next().unwrap_or("");
    assert!(event.starts_with("event: request\ndata: "), "{event}");
    let data: Value = serde_json::from_str(
        event
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .collect::<String>()
            .as_str(),
    )
    .unwrap_or_else(|e| panic!("{e}: {event}"));
    assert_eq!(data["id"], "req_failed", "the filter applies to the tail");
    assert_eq!(data["status"], 503);
    assert_eq!(data["has_bodies"], true);
    assert!(data["request_body"].is_null(), "the tail carries no bodies");

    let (_, v) = get_json(&format!("{}/tail?nope=1", logs_url(&gw))).await;
    assert_eq!(envelope(&v)["param"], "nope");
}

#[tokio::test]
async fn exports_stream_jsonl_and_csv_files() {
    let (gw, _dir) = logged_gateway("logs-export").await;
    let recorder = gw.recorder();
    let n = 1200;
    for i in 0..n {
        let mut r = record(&format!("req_{i:05}"), 1_738_000_000_000 + i);
        if i == 0 {
            r.error_message = Some("bad, \"quoted\"\nmessage".into());
        }
        submit(&recorder, r, false);
    }
    wait_for(
        &gw,
        &format!("limit=1000&since={}", 1_738_000_000_000_i64 + 1199),
        1,
    )
    .await;

    let r = client()
        .get(format!("{}/export", logs_url(&gw)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(header(&r, "content-type"), "application/x-ndjson");
    let disposition = header(&r, "content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"switchboard-requests-")
            && disposition.ends_with(".jsonl\""),
        "{disposition}"
    );
    assert!(
        header(&r, "content-length").is_empty(),
        "streamed, not sized up front"
    );
    let text = r.text().await.unwrap_or_default();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), n as usize);
    assert_eq!(lines[0]["id"], "req_01199");

    let r = client()
        .get(format!("{}/export?format=csv&status=2xx", logs_url(&gw)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(header(&r, "content-type"), "text/csv; charset=utf-8");
    assert!(header(&r, "content-disposition").ends_with(".csv\""));
    let text = r.text().await.unwrap_or_default();
    assert!(
        text.starts_with("id,time,started_at,client,"),
        "{}",
        &text[..80]
    );
    assert_eq!(text.matches("\r\nreq_").count(), n as usize);
    assert!(text.contains(",\"bad, \"\"quoted\"\"\nmessage\","));

    let (status, v) = get_json(&format!("{}/export?format=xml", logs_url(&gw))).await;
    assert_eq!(status, 400);
    assert_eq!(envelope(&v)["param"], "format");
}

#[tokio::test]
async fn stats_prices_and_clear() {
    let (gw, _dir) = logged_gateway("logs-stats").await;
    let recorder = gw.recorder();
    for i in 0..4 {
        let mut r = record(&format!("req_{i}"), 1_738_000_000_000 + i);
        if i == 3 {
            r.provider = Some("mock".into());
            r.upstream_model = Some("mock-gpt-3.5-turbo".into());
            r.client = "Cursor".into();
        }
        submit(&recorder, r, false);
    }
    wait_for(&gw, "", 4).await;

    let (status, v) = get_json(&format!("{}/stats?group_by=provider", logs_url(&gw))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["group_by"], "provider");
    assert_eq!(v["groups"][0]["key"], "openai");
    assert_eq!(v["groups"][0]["requests"], 3);
    assert_eq!(v["groups"][0]["tokens_in"], 3000);
    assert!((v["groups"][0]["cost_usd"].as_f64().unwrap_or(0.0) - 0.0225).abs() < 1e-12);
    assert_eq!(v["groups"][1]["key"], "mock");
    assert_eq!(v["groups"][1]["cost_usd"], 0.0);
    assert_eq!(v["total"]["requests"], 4);
    assert_eq!(v["total"]["p95_latency_ms"], 120.0);
    let (_, v) = get_json(&format!(
        "{}/stats?group_by=day&tz_offset=120&client=Cursor",
        logs_url(&gw)
    ))
    .await;
    assert_eq!(v["groups"][0]["key"], "2025-01-27");
    assert_eq!(v["total"]["requests"], 1);
    let (status, v) = get_json(&format!("{}/stats?group_by=week", logs_url(&gw))).await;
    assert_eq!(status, 400);
    assert_eq!(envelope(&v)["param"], "group_by");

    let (status, v) = get_json(&format!(
        "{}/prices?model=gpt-4o-mini-2024-07-18",
        logs_url(&gw)
    ))
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["currency"], "USD");
    assert!(v["data"]
        .as_array()
        .is_some_and(|d| d.iter().any(|e| e["model"] == "claude-sonnet")));
    assert_eq!(v["lookup"]["matched"], "gpt-4o-mini");
    assert_eq!(v["lookup"]["price"]["input_per_million"], 0.15);
    assert!(v["free_providers"]
        .as_array()
        .is_some_and(|f| f.contains(&json!("mock"))));

    let r = client()
        .delete(logs_url(&gw))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["deleted"], 4);
    let (_, v) = get_json(&logs_url(&gw)).await;
    assert_eq!(ids(&v).len(), 0);
}

#[tokio::test]
async fn the_log_api_sits_behind_the_admin_guard() {
    let (gw, _dir) = logged_gateway("logs-guard").await;
    let r = client()
        .get(logs_url(&gw))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 403);
    let r = client()
        .delete(logs_url(&gw))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 403, "a cross-site form cannot clear the log");
}

#[tokio::test]
async fn without_a_data_directory_nothing_is_stored_but_the_tail_works() {
    let gw = mock_gateway().await;
    let (status, v) = get_json(&logs_url(&gw)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["stored"], false);
    assert_eq!(ids(&v).len(), 0);
    let (status, _) = get_json(&format!("{}/stats", logs_url(&gw))).await;
    assert_eq!(status, 200);
    let response = client()
        .get(format!("{}/tail", logs_url(&gw)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    submit(&gw.recorder(), record("req_live", 1), false);
    let mut body = response.bytes_stream();
    let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
        .await
        .ok()
        .flatten()
        .and_then(Result::ok)
        .unwrap_or_default();
    assert!(String::from_utf8_lossy(&chunk).contains("req_live"));
}

// ---- Request-driven: a record per request, once the request path records them. ----

/// Waits for the log to hold exactly one request and returns it (with bodies).
async fn the_one_record(gw: &Gateway) -> Value {
    let list = wait_for(gw, "", 1).await;
    assert_eq!(ids(&list).len(), 1, "one record per request: {list}");
    let id = ids(&list).remove(0);
    let (status, one) = get_json(&format!("{}/{id}", logs_url(gw))).await;
    assert_eq!(status, 200, "{one}");
    one
}

#[tokio::test]

async fn a_successful_request_is_recorded_with_tokens_and_no_bodies_by_default() {
    let (gw, _dir) = logged_gateway("logs-req-ok").await;
    let (status, _) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "hello"}]}),
    )
    .await;
    assert_eq!(status, 200);
    let r = the_one_record(&gw).await;
    assert_eq!(r["status"], 200);
    assert_eq!(r["endpoint"], "/v1/chat/completions");
    assert_eq!(r["requested_model"], "mock-gpt-3.5-turbo");
    assert_eq!(r["provider"], "mock");
    assert_eq!(r["stream"], false);
    assert!(r["tokens_in"].as_u64().is_some_and(|t| t > 0), "{r}");
    assert!(r["tokens_out"].as_u64().is_some_and(|t| t > 0), "{r}");
    assert_eq!(r["cost_usd"], 0.0, "the mock is free");
    assert!(r["latency_ms"].as_f64().is_some_and(|l| l > 0.0));
    assert_eq!(r["attempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["has_bodies"], false);
    assert!(r["request_body"].is_null() && r["response_body"].is_null());
}

#[tokio::test]

async fn an_upstream_error_is_recorded_with_its_status_message_and_attempt() {
    let upstream_base = upstream(axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(|| async {
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                [("content-type", "application/json")],
                r#"{"error":{"message":"the model crashed","type":"server_error","param":null,"code":null}}"#,
            )
        }),
    ))
    .await;
    let dir = temp_dir("logs-req-err");
    let (gw, _) = file_gateway(&proxy_config(&upstream_base, ""), &dir).await;
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .json(&json!({"model": "up:gpt-4o", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 500);
    let rec = the_one_record(&gw).await;
    assert_eq!(rec["status"], 500);
    assert_eq!(rec["provider"], "up");
    assert_eq!(rec["upstream_model"], "gpt-4o");
    assert!(rec["error_type"].is_string(), "{rec}");
    assert!(
        rec["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("the model crashed")),
        "{rec}"
    );
    assert_eq!(rec["attempts"][0]["provider"], "up");
    assert_eq!(rec["attempts"][0]["status"], 500);
    assert_ne!(rec["attempts"][0]["outcome"], "ok");
    let (_, errors) = get_json(&format!("{}?status=5xx&provider=up", logs_url(&gw))).await;
    assert_eq!(ids(&errors).len(), 1);
}

#[tokio::test]

async fn a_stream_is_recorded_with_time_to_first_token_and_its_reassembled_body() {
    let dir = temp_dir("logs-req-stream");
    let (gw, _) = file_gateway("[mock]\nttft_ms = 50\ntokens_per_second = 500\n", &dir).await;
    gw.recorder().set_settings(LogSettings {
        bodies: true,
        ..LogSettings::default()
    });
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .header("authorization", "Bearer sk-must-never-be-stored")
        .json(
            &json!({"model": "mock-gpt-3.5-turbo", "stream": true, "max_tokens": 20,
            "messages": [{"role": "user", "content": "tell me something"}]}),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = r.text().await.unwrap_or_default();
    let streamed: String = sse_events(&text)
        .iter()
        .filter_map(|e| {
            e["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let rec = the_one_record(&gw).await;
    assert_eq!(rec["stream"], true);
    let ttft = rec["ttft_ms"].as_f64().unwrap_or(0.0);
    assert!(ttft >= 40.0, "ttft {ttft}");
    assert!(rec["latency_ms"].as_f64().unwrap_or(0.0) >= ttft);
    assert_eq!(rec["response_body"].as_str(), Some(streamed.as_str()));
    assert!(rec["request_body"]
        .as_str()
        .is_some_and(|b| b.contains("tell me something")));
    let (_, all) = get_json(&format!("{}/export?bodies=true", logs_url(&gw))).await;
    assert!(!all.to_string().contains("sk-must-never-be-stored"));
}

#[tokio::test]

async fn a_client_that_goes_away_mid_stream_is_recorded_as_disconnected() {
    let dir = temp_dir("logs-req-gone");
    let (gw, _) = file_gateway("[mock]\nttft_ms = 0\ntokens_per_second = 20\n", &dir).await;
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .json(
            &json!({"model": "mock-gpt-3.5-turbo", "stream": true, "max_tokens": 200,
            "messages": [{"role": "user", "content": "x"}]}),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut body = r.bytes_stream();
    let first = body.next().await;
    assert!(first.is_some_and(|c| c.is_ok()));
    drop(body);
    let rec = the_one_record(&gw).await;
    assert_eq!(rec["client_disconnected"], true, "{rec}");
    assert!(rec["ttft_ms"].as_f64().is_some());
}
