//! Start, port conflicts, health, graceful shutdown.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use switchboard_gateway::config::{Config, Env};
use switchboard_gateway::Gateway;

use crate::support::*;

#[tokio::test]
async fn port_in_use_is_a_clear_error_naming_the_port() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = taken.local_addr().map(|a| a.port()).unwrap_or(0);
    let config = Config::from_toml_str(&format!("[server]\nport = {port}\n"), &Env::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let err = Gateway::start(config)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains(&port.to_string()) && err.contains("already in use"),
        "{err}"
    );
}

#[tokio::test]
async fn health_reports_providers_and_root_answers_head() {
    let gw = mock_gateway().await;
    let (s, v) = get_json(&format!("http://{}/health", gw.local_addr())).await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "ok");
    assert_eq!(v["providers"][0]["id"], "mock");
    let head = client()
        .head(format!("http://{}/", gw.local_addr()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(head.status(), 200);
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_stream_finish_then_refuses_new_connections() {
    let gw = gateway("[mock]\nttft_ms = 0\ntokens_per_second = 100\n").await;
    let url = format!("{}/chat/completions", gw.base_url());
    let r = client().post(&url)
        .json(&json!({"model": "mock-gpt-3.5-turbo", "stream": true, "max_tokens": 30, "messages": [{"role": "user", "content": "x"}]}))
        .send().await.unwrap_or_else(|e| panic!("{e}"));
    let mut body = r.bytes_stream();
    let first = body.next().await;
    assert!(first.is_some_and(|b| b.is_ok()));
    let started = Instant::now();
    let shutdown = tokio::spawn(gw.shutdown());
    let mut rest = Vec::new();
    while let Some(chunk) = body.next().await {
        rest.extend_from_slice(
            &chunk.unwrap_or_else(|e| panic!("the in-flight stream was cut: {e}")),
        );
    }
    assert!(String::from_utf8_lossy(&rest).ends_with("data: [DONE]\n\n"));
    let _ = shutdown.await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let after = reqwest::Client::new()
        .get(url.replace("/chat/completions", "/models"))
        .send()
        .await;
    assert!(after.is_err(), "the listener must be closed after shutdown");
}

#[tokio::test]
async fn shutdown_is_bounded_by_the_grace_period() {
    let gw = gateway(
        "[server]\nshutdown_grace_secs = 0.5\n[mock]\nttft_ms = 0\ntokens_per_second = 2\n",
    )
    .await;
    let url = format!("{}/chat/completions", gw.base_url());
    let r = client().post(&url)
        .json(&json!({"model": "mock-gpt-3.5-turbo", "stream": true, "messages": [{"role": "user", "content": "x"}]}))
        .send().await.unwrap_or_else(|e| panic!("{e}"));
    let mut body = r.bytes_stream();
    let _ = body.next().await;
    let started = Instant::now();
    gw.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn root_leads_to_the_status_page() {
    let gw = mock_gateway().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let r = no_redirects
        .get(format!("http://{}/", gw.local_addr()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 307);
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/ui/")
    );
    let page = client()
        .get(format!("http://{}/ui/", gw.local_addr()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/html"));
    let html = page.text().await.unwrap_or_default();
    if switchboard_gateway::ui_assets::built() {
        // The dashboard (tests/it/dashboard.rs covers it); without it, the status page.
        assert!(html.contains("<div id=\"app\">"), "{html}");
        return;
    }
    assert!(
        html.contains(&gw.base_url()) && html.contains("mock-rerank-v1"),
        "{html}"
    );
}

#[tokio::test]
async fn open_tails_end_at_shutdown_instead_of_holding_it() {
    let gw = mock_gateway().await;
    let origin = format!("http://{}", gw.local_addr());
    let tail = client()
        .get(format!("{origin}/admin/logs/tail"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let health = client()
        .get(format!("{origin}/admin/health/stream"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(tail.status().is_success() && health.status().is_success());
    let started = Instant::now();
    gw.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown waited {:?} for open streams",
        started.elapsed()
    );
    drop((tail, health));
}
