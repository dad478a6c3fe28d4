//! Observability over HTTP: a record per request (success, upstream error, stream, fallback, client
//! disconnect), metrics in the Prometheus text format, provider health and the circuit breaker.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use futures_util::StreamExt;
use serde_json::json;
use switchboard_gateway::observe::RequestRecord;

use crate::support::*;

async fn next_record(
    rx: &mut tokio::sync::broadcast::Receiver<Arc<RequestRecord>>,
) -> Arc<RequestRecord> {
    match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        Ok(Ok(r)) => r,
        other => panic!("no request record arrived: {other:?}"),
    }
}

#[tokio::test]
async fn every_request_gets_a_record_with_timings_and_tokens() {
    let gw = gateway("[mock]\nttft_ms = 30\ntokens_per_second = 0\n").await;
    let mut records = gw.subscribe_requests();
    let url = format!("{}/chat/completions", gw.base_url());
    let r = client().post(&url).header("user-agent", "OpenAI/Python 1.99.0")
        .json(&json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "hi"}]}))
        .send().await.unwrap_or_else(|e| panic!("{e}"));
    let request_id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = r.text().await;
    let rec = next_record(&mut records).await;
    assert_eq!(rec.id, request_id);
    assert_eq!(
        (rec.status, rec.endpoint.as_str(), rec.client.as_str()),
        (200, "/v1/chat/completions", "openai-python/1.99.0")
    );
    assert_eq!(
        (rec.provider.as_deref(), rec.upstream_model.as_deref()),
        (Some("mock"), Some("mock-gpt-3.5-turbo"))
    );
    assert!(
        rec.tokens_in.unwrap_or(0) > 0 && rec.tokens_out.unwrap_or(0) > 0 && !rec.tokens_estimated
    );
    assert!(rec.latency_ms >= 30.0, "{}", rec.latency_ms);
    assert_eq!(rec.attempts.len(), 1);
    assert!(
        rec.request_body.is_none() && rec.response_body.is_none(),
        "bodies are off by default"
    );

    // A stream: time to first token, usage from the stream.
    let body = client().post(&url)
        .json(&json!({"model": "mock-gpt-3.5-turbo", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "hi"}]}))
        .send().await.unwrap_or_else(|e| panic!("{e}")).text().await.unwrap_or_default();
    assert!(body.ends_with("data: [DONE]\n\n"));
    let rec = next_record(&mut records).await;
    assert!(rec.stream);
    assert!(rec.ttft_ms.unwrap_or(0.0) >= 30.0, "{:?}", rec.ttft_ms);
    assert!(rec.tokens_out.unwrap_or(0) > 0);

    // An error: its type and message.
    let (s, _) = post_json(
        &url,
        &json!({"model": "nope", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 404);
    let rec = next_record(&mut records).await;
    assert_eq!(
        (rec.status, rec.error_type.as_deref()),
        (404, Some("invalid_request_error"))
    );
    assert!(rec.error_message.as_deref().unwrap_or("").contains("nope"));
}

#[tokio::test]
async fn bodies_are_kept_when_turned_on_and_streams_are_reassembled() {
    let gw = gateway("[mock]\nttft_ms = 0\ntokens_per_second = 0\n[logs]\nbodies = true\n").await;
    let mut records = gw.subscribe_requests();
    let _ = client().post(format!("{}/chat/completions", gw.base_url())).bearer_auth("sk-client-secret")
        .json(&json!({"model": "mock-gpt-3.5-turbo", "stream": true, "messages": [{"role": "user", "content": "remember me"}]}))
        .send().await.unwrap_or_else(|e| panic!("{e}")).text().await;
    let rec = next_record(&mut records).await;
    assert!(rec
        .request_body
        .as_deref()
        .unwrap_or("")
        .contains("remember me"));
    let response = rec.response_body.as_deref().unwrap_or("");
    assert!(
        response.contains("remember me") && !response.contains("data:"),
        "reassembled text: {response}"
    );
    let all = serde_json::to_string(&*rec).unwrap_or_default();
    assert!(
        !all.contains("sk-client-secret"),
        "credentials are never stored"
    );
}

#[tokio::test]
async fn fallbacks_and_disconnects_are_recorded() {
    let failing = Router::new().route(
        "/v1/chat/completions",
        post(|| async { (StatusCode::BAD_GATEWAY, "{}") }),
    );
    let base = upstream(failing).await;
    let config = format!("[mock]\nttft_ms = 0\ntokens_per_second = 20\n\n[[providers]]\nid = \"a\"\nkind = \"openai\"\nbase_url = \"{base}/v1\"\nmodels = [\"m\"]\n\n[[routes]]\nmodel = \"smart\"\ntargets = [\"a:m\", \"mock:mock-gpt-3.5-turbo\"]\nretries = 0\n");
    let gw = gateway(&config).await;
    let mut records = gw.subscribe_requests();
    let (s, _) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "smart", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 200);
    let rec = next_record(&mut records).await;
    let outcomes: Vec<(&str, &str)> = rec
        .attempts
        .iter()
        .map(|a| (a.provider.as_str(), a.outcome.as_str()))
        .collect();
    assert_eq!(outcomes, vec![("a", "upstream_error"), ("mock", "ok")]);
    assert_eq!(rec.provider.as_deref(), Some("mock"));

    // The client leaves after the first event of a slow stream.
    let r = client().post(format!("{}/chat/completions", gw.base_url()))
        .json(&json!({"model": "mock-gpt-3.5-turbo", "stream": true, "messages": [{"role": "user", "content": "x"}]}))
        .send().await.unwrap_or_else(|e| panic!("{e}"));
    let mut stream = r.bytes_stream();
    let _ = stream.next().await;
    drop(stream);
    let rec = next_record(&mut records).await;
    assert!(rec.client_disconnected);
    assert!(rec.ttft_ms.is_some());
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text() {
    let gw = mock_gateway().await;
    let mut records = gw.subscribe_requests();
    for _ in 0..3 {
        let _ = post_json(
            &format!("{}/chat/completions", gw.base_url()),
            &json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
        let _ = next_record(&mut records).await;
    }
    let text = client()
        .get(format!("http://{}/metrics", gw.local_addr()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines)
        .unwrap_or_else(|e| panic!("not Prometheus text: {e}\n{text}"));
    let requests: f64 = scrape
        .samples
        .iter()
        .filter(|s| {
            s.metric == "switchboard_requests_total"
                && s.labels.get("model") == Some("mock-gpt-3.5-turbo")
                && s.labels.get("status") == Some("200")
        })
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum();
    assert_eq!(requests, 3.0, "{text}");
    for metric in [
        "switchboard_request_duration_seconds",
        "switchboard_tokens_total",
        "switchboard_requests_in_flight",
        "switchboard_log_dropped_total",
    ] {
        assert!(
            scrape.samples.iter().any(|s| s.metric.starts_with(metric)),
            "{metric} missing:\n{text}"
        );
    }
}

#[tokio::test]
async fn health_follows_an_upstream_down_and_back_and_the_breaker_opens_and_closes() {
    let up = Arc::new(AtomicBool::new(true));
    let hits = Arc::new(AtomicUsize::new(0));
    let (u, h) = (up.clone(), hits.clone());
    let app = Router::new()
        .route("/v1/models", get(|| async { axum::Json(json!({"object": "list", "data": [{"id": "m", "object": "model", "created": 0, "owned_by": "x"}]})) }))
        .route("/v1/chat/completions", post(move || {
            let (u, h) = (u.clone(), h.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                if u.load(Ordering::SeqCst) {
                    (StatusCode::OK, r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[]}"#)
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, r#"{"error":{"message":"down","type":"server_error","param":null,"code":null}}"#)
                }
            }
        }));
    let base = upstream(app).await;
    let gw = gateway(&format!("[mock]\nenabled = false\n[health]\nbreaker_failures = 2\nbreaker_open_secs = 0.5\n\n[[providers]]\nid = \"a\"\nkind = \"openai\"\nbase_url = \"{base}/v1\"\nmodels = [\"m\"]\n")).await;
    let changes = gw.subscribe_health();
    let url = format!("{}/chat/completions", gw.base_url());
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
    let ask = || post_json(&url, &body);
    assert_eq!(ask().await.0, 200);
    let state = |gw: &switchboard_gateway::Gateway| gw.health()["providers"][0].clone();
    assert_eq!(state(&gw)["status"], "up");

    up.store(false, Ordering::SeqCst);
    assert_eq!(ask().await.0, 503);
    assert_eq!(state(&gw)["status"], "degraded");
    assert_eq!(ask().await.0, 503);
    assert_eq!(
        (
            state(&gw)["status"].as_str(),
            state(&gw)["breaker"].as_str()
        ),
        (Some("down"), Some("open"))
    );
    assert!(
        changes.has_changed().unwrap_or(false),
        "subscribers hear about it"
    );
    // Open: answered at once, without touching the upstream.
    let before = hits.load(Ordering::SeqCst);
    let r = client()
        .post(&url)
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(hits.load(Ordering::SeqCst), before);
    assert_eq!(gw.health()["status"], "degraded");

    // Back up: after the pause one trial goes through and closes the breaker.
    up.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(ask().await.0, 200);
    assert_eq!(
        (
            state(&gw)["status"].as_str(),
            state(&gw)["breaker"].as_str()
        ),
        (Some("up"), Some("closed"))
    );
    assert_eq!(gw.health()["status"], "ok");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9)
}

#[tokio::test]
async fn discovery_finds_fake_runtimes_on_their_ports_and_they_can_be_added() {
    let ollama = upstream(Router::new().route(
        "/api/tags",
        get(|| async {
            axum::Json(json!({"models": [{"name": "llama3.2:3b", "model": "llama3.2:3b"}]}))
        }),
    ))
    .await;
    let vllm = upstream(Router::new().route("/v1/models", get(|| async { axum::Json(json!({"object": "list", "data": [{"id": "Qwen/Qwen2.5-7B-Instruct", "object": "model"}]})) }))).await;
    let port = |u: &str| {
        u.rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0)
    };
    let dir = temp_dir("discover");
    let config = format!(
        "[discovery]\nports = {{ ollama = {}, vllm = {}, lmstudio = {}, llamacpp = {}, jan = {}, localai = {} }}\n",
        port(&ollama), port(&vllm), free_port(), free_port(), free_port(), free_port()
    );
    let (gw, _) = file_gateway(&config, &dir).await;
    let origin = format!("http://{}", gw.local_addr());
    let (s, v) = get_json(&format!("{origin}/admin/discover")).await;
    assert_eq!(s, 200);
    let mut found: Vec<(String, Vec<String>)> = v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or("").to_owned(),
                f["models"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("ollama".into(), vec!["llama3.2:3b".into()]),
            ("vllm".into(), vec!["Qwen/Qwen2.5-7B-Instruct".into()])
        ],
        "{v}"
    );
    let vllm_entry = v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["id"] == "vllm")
        .cloned()
        .unwrap_or_default();
    assert_eq!(vllm_entry["configured"], false);
    // One click: the suggested entry goes straight into the admin API.
    let r = client()
        .put(format!("{origin}/admin/providers/vllm"))
        .json(&vllm_entry["provider"])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let (_, v) = get_json(&format!("{origin}/admin/discover")).await;
    assert!(v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["id"] == "vllm" && f["configured"] == true));
    let (_, models) = get_json(&format!("{origin}/v1/models")).await;
    assert!(
        models["data"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["id"] == "Qwen/Qwen2.5-7B-Instruct"),
        "{models}"
    );
}

#[tokio::test]
async fn system_view_and_health_stream() {
    let gw = mock_gateway().await;
    let origin = format!("http://{}", gw.local_addr());
    let (s, v) = get_json(&format!("{origin}/admin/system")).await;
    assert_eq!(s, 200);
    assert!(
        v["gateway"]["memory_bytes"].as_u64().unwrap_or(0) > 1_000_000,
        "{v}"
    );
    assert!(v["system"]["total_memory_bytes"].as_u64().unwrap_or(0) > 0);

    let r = client()
        .get(format!("{origin}/admin/health/stream"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/event-stream"));
    let mut stream = r.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .ok()
        .flatten()
        .and_then(Result::ok)
        .unwrap_or_default();
    let first = String::from_utf8_lossy(&first).to_string();
    assert!(
        first.starts_with("event: health\ndata: {") && first.contains("\"mock\""),
        "{first}"
    );
}
