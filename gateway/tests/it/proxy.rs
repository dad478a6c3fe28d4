//! Proxying to an OpenAI-compatible upstream: bodies forwarded intact, streams passed through as they
//! arrive, errors passed through, connect failures and timeouts named, connections reused.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::support::*;

fn record(log: &Log, peer: SocketAddr, method: &str, path: &str, headers: &HeaderMap, body: &[u8]) {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut seen = log.lock().unwrap_or_else(|p| p.into_inner());
    seen.requests
        .push((method.into(), path.into(), auth, body.to_vec()));
    seen.peers.insert(peer);
}

/// A well-behaved upstream: lists `up-model`, answers chat with a fixed body, streams on request.
fn echo_upstream(log: Log) -> Router {
    Router::new()
        .route("/v1/models", get(|State(log): State<Log>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap| async move {
            record(&log, peer, "GET", "/v1/models", &headers, b"");
            axum::Json(json!({"object": "list", "data": [{"id": "up-model", "object": "model", "created": 1, "owned_by": "someone"}]}))
        }))
        .route("/v1/chat/completions", post(|State(log): State<Log>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes| async move {
            record(&log, peer, "POST", "/v1/chat/completions", &headers, &body);
            let req: Value = serde_json::from_slice(&body).unwrap_or_default();
            if req["stream"] == true {
                let events = [
                    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"up-model\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
                    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"up-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n",
                    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"up-model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                    "data: [DONE]\n\n",
                ];
                // The first event leaves at once, the rest after a pause: the client must see the first
                // before the upstream finishes.
                let stream = futures_util::stream::iter(events.into_iter().enumerate()).then(|(i, e)| async move {
                    if i == 1 {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    Ok::<_, std::io::Error>(Bytes::from_static(e.as_bytes()))
                });
                return ([("content-type", "text/event-stream")], Body::from_stream(stream)).into_response();
            }
            let model = req["model"].clone();
            axum::Json(json!({"id": "c2", "object": "chat.completion", "created": 1, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello from upstream", "refusal": null},
                "logprobs": null, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}})).into_response()
        }))
        .with_state(log)
}

use futures_util::StreamExt;

fn new_log() -> Log {
    Arc::new(Mutex::new(Seen::default()))
}

fn seen_posts(log: &Log) -> Vec<(String, Option<String>, Vec<u8>)> {
    let seen = log.lock().unwrap_or_else(|p| p.into_inner());
    seen.requests
        .iter()
        .filter(|r| r.0 == "POST")
        .map(|r| (r.1.clone(), r.2.clone(), r.3.clone()))
        .collect()
}

#[tokio::test]
async fn forwards_unknown_fields_byte_for_byte_with_the_provider_key() {
    let log = new_log();
    let base = upstream(echo_upstream(log.clone())).await;
    let gw = gateway(&proxy_config(
        &base,
        "api_key = \"sk-upstream-secret\"\nmodels = [\"up-model\"]",
    ))
    .await;
    let body = r#"{"model":"up-model","messages":[{"role":"assistant","content":"x","reasoning_content":"keep me"},{"role":"user","content":"hi"}],"top_k":40,"chat_template_kwargs":{"enable_thinking":false}}"#;
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .header("content-type", "application/json")
        .bearer_auth("client-key")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["choices"][0]["message"]["content"], "hello from upstream");
    let posts = seen_posts(&log);
    assert_eq!(posts.len(), 1, "the upstream is hit exactly once");
    assert_eq!(
        posts[0].1.as_deref(),
        Some("Bearer sk-upstream-secret"),
        "the provider's key replaces the client's"
    );
    assert_eq!(
        posts[0].2,
        body.as_bytes(),
        "the body is forwarded untouched"
    );
}

#[tokio::test]
async fn provider_prefix_is_stripped_and_discovery_lists_upstream_models() {
    let log = new_log();
    let base = upstream(echo_upstream(log.clone())).await;
    let gw = gateway(&proxy_config(&base, "")).await;
    // Discovery (no static list): the upstream's models appear in /v1/models.
    let (_, models) = get_json(&format!("{}/models", gw.base_url())).await;
    let ids = data_ids(&models);
    assert_eq!(ids, vec!["up-model"]);
    let (s, v) = post_json(&format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "up:some-other-model", "messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": true}})).await;
    assert_eq!(s, 200);
    assert_eq!(v["model"], "some-other-model");
    let posts = seen_posts(&log);
    let sent: Value = serde_json::from_slice(&posts[0].2).unwrap_or_default();
    assert_eq!(sent["model"], "some-other-model");
    assert!(
        sent.get("stream_options").is_none(),
        "stream_options without stream is dropped"
    );
}

#[tokio::test]
async fn streams_pass_through_as_they_arrive() {
    let log = new_log();
    let base = upstream(echo_upstream(log.clone())).await;
    let gw = gateway(&proxy_config(&base, "models = [\"up-model\"]")).await;
    let started = Instant::now();
    let r = client().post(format!("{}/chat/completions", gw.base_url()))
        .json(&json!({"model": "up-model", "stream": true, "messages": [{"role": "user", "content": "x"}]}))
        .send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let mut stream = r.bytes_stream();
    let first = stream.next().await.and_then(Result::ok).unwrap_or_default();
    let first_at = started.elapsed();
    assert!(String::from_utf8_lossy(&first).contains("\"role\":\"assistant\""));
    assert!(
        first_at < Duration::from_millis(250),
        "first event took {first_at:?}: it was held back"
    );
    let mut rest = Vec::new();
    while let Some(Ok(b)) = stream.next().await {
        rest.extend_from_slice(&b);
    }
    assert!(started.elapsed() >= Duration::from_millis(300));
    let all = [first.to_vec(), rest].concat();
    assert!(String::from_utf8_lossy(&all).ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn upstream_connections_are_reused() {
    let log = new_log();
    let base = upstream(echo_upstream(log.clone())).await;
    let gw = gateway(&proxy_config(&base, "models = [\"up-model\"]")).await;
    for _ in 0..10 {
        let (s, _) = post_json(
            &format!("{}/chat/completions", gw.base_url()),
            &json!({"model": "up-model", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
        assert_eq!(s, 200);
    }
    let seen = log.lock().unwrap_or_else(|p| p.into_inner());
    assert_eq!(seen.requests.len(), 10);
    assert_eq!(
        seen.peers.len(),
        1,
        "ten sequential requests should share one upstream connection"
    );
}

#[tokio::test]
async fn upstream_errors_pass_through_with_status_body_and_retry_headers() {
    let hits = Arc::new(Mutex::new(0u32));
    let h = hits.clone();
    let app = Router::new().route("/v1/chat/completions", post(move || {
        let h = h.clone();
        async move {
            *h.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "7"), ("content-type", "application/json")],
                r#"{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#)
        }
    }));
    let base = upstream(app).await;
    let gw = gateway(&proxy_config(&base, "models = [\"m\"]")).await;
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("7")
    );
    let text = r.text().await.unwrap_or_default();
    assert_eq!(
        text,
        r#"{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
    );
    assert_eq!(*hits.lock().unwrap_or_else(|p| p.into_inner()), 1);
}

#[tokio::test]
async fn flat_upstream_errors_are_put_in_the_envelope() {
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            (
                StatusCode::BAD_REQUEST,
                r#"{"object":"error","message":"context too long","code":400}"#,
            )
        }),
    );
    let base = upstream(app).await;
    let gw = gateway(&proxy_config(&base, "models = [\"m\"]")).await;
    let (s, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 400);
    assert!(envelope(&v)["message"]
        .as_str()
        .unwrap_or_default()
        .contains("context too long"));
}

#[tokio::test]
async fn connect_failure_is_a_502_naming_the_provider() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let gw = gateway(&proxy_config(
        &format!("http://127.0.0.1:{port}"),
        "models = [\"m\"]",
    ))
    .await;
    let (s, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 502);
    let message = envelope(&v)["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("'up'") && message.contains("connect"),
        "{message}"
    );
}

#[tokio::test]
async fn slow_upstream_is_a_504_naming_the_provider() {
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let base = upstream(app).await;
    let gw = gateway(&proxy_config(&base, "models = [\"m\"]\ntimeout_secs = 0.3")).await;
    let started = Instant::now();
    let (s, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 504);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(envelope(&v)["message"]
        .as_str()
        .unwrap_or_default()
        .contains("'up'"));
}

#[tokio::test]
async fn client_disconnect_cancels_the_upstream_stream() {
    // The upstream streams forever and notices when its body is dropped.
    let dropped = Arc::new(Mutex::new(false));
    let d = dropped.clone();
    struct OnDrop(Arc<Mutex<bool>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            *self.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
        }
    }
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let guard = OnDrop(d.clone());
            async move {
                let stream = futures_util::stream::unfold(guard, |g| async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Some((
                        Ok::<_, std::io::Error>(Bytes::from_static(b"data: {\"choices\":[]}\n\n")),
                        g,
                    ))
                });
                Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(Body::from_stream(stream))
                    .unwrap_or_default()
            }
        }),
    );
    let base = upstream(app).await;
    let gw = gateway(&proxy_config(&base, "models = [\"m\"]")).await;
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .json(
            &json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}]}),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stream = r.bytes_stream();
    let _ = stream.next().await;
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(3);
    while !*dropped.lock().unwrap_or_else(|p| p.into_inner()) {
        assert!(
            Instant::now() < deadline,
            "the upstream stream was not cancelled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn upstream_dying_mid_stream_becomes_an_error_event() {
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            let stream = futures_util::stream::iter(vec![
                Ok(Bytes::from_static(
                    b"data: {\"id\":\"x\",\"choices\":[]}\n\n",
                )),
                Err(std::io::Error::other("boom")),
            ]);
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap_or_default()
        }),
    );
    let base = upstream(app).await;
    let gw = gateway(&proxy_config(&base, "models = [\"m\"]")).await;
    let text = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .json(
            &json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}]}),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let last = text.trim().rsplit("\n\n").next().unwrap_or_default();
    let event: Value = serde_json::from_str(last.trim_start_matches("data: ")).unwrap_or_default();
    assert!(
        event["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("'up'"),
        "{text}"
    );
}

#[tokio::test]
async fn embeddings_and_completions_are_forwarded_to_their_paths() {
    let log = new_log();
    let l = log.clone();
    let app = Router::new().fallback(move |ConnectInfo(peer): ConnectInfo<SocketAddr>, uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
        let l = l.clone();
        async move {
            record(&l, peer, "POST", uri.path(), &headers, &body);
            axum::Json(json!({"object": "list", "data": [], "model": "m", "usage": {"prompt_tokens": 0, "total_tokens": 0}}))
        }
    });
    let base = upstream(app).await;
    let gw = gateway(&proxy_config(&base, "models = [\"m\"]")).await;
    let origin = format!("http://{}", gw.local_addr());
    for (path, body) in [
        ("/v1/embeddings", json!({"model": "m", "input": "x"})),
        ("/v1/completions", json!({"model": "m", "prompt": "x"})),
        (
            "/v1/rerank",
            json!({"model": "m", "query": "q", "documents": ["a"]}),
        ),
        (
            "/rerank",
            json!({"model": "m", "query": "q", "documents": ["a"]}),
        ),
    ] {
        let (s, _) = post_json(&format!("{origin}{path}"), &body).await;
        assert_eq!(s, 200, "{path}");
    }
    let paths: Vec<String> = seen_posts(&log).into_iter().map(|p| p.0).collect();
    assert_eq!(
        paths,
        vec![
            "/v1/embeddings",
            "/v1/completions",
            "/v1/rerank",
            "/v1/rerank"
        ]
    );
}

#[tokio::test]
async fn a_provider_pointing_back_at_the_gateway_is_a_loop_not_a_hang() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let text = proxy_config(&format!("http://127.0.0.1:{port}"), "models = [\"loop\"]");
    let config = switchboard_gateway::Config::from_toml_str(&text, &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let gw =
        switchboard_gateway::Gateway::serve(listener, config).unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let (s, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "loop", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 508, "{v}");
    assert!(
        envelope(&v)["message"]
            .as_str()
            .unwrap_or_default()
            .contains("points back at a gateway"),
        "{v}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
