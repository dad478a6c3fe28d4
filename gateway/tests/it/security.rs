//! Safe by default: loopback only, foreign Host names refused, CORS only for local pages.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn foreign_host_names_are_refused_with_403() {
    let gw = mock_gateway().await;
    let url = format!("http://{}/v1/models", gw.local_addr());
    for (host, status) in [
        ("evil.example.com", 403),
        ("evil.example.com:4242", 403),
        ("localhost:4242", 200),
        ("127.0.0.1", 200),
        ("[::1]:4242", 200),
    ] {
        let r = client()
            .get(&url)
            .header("host", host)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), status, "{host}");
        if status == 403 {
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            assert_eq!(envelope(&v)["type"], "permission_error");
        }
    }
}

#[tokio::test]
async fn allowed_hosts_extend_the_list() {
    let gw = gateway("[server]\nallowed_hosts = [\"switchboard.internal\"]\n").await;
    let url = format!("http://{}/health", gw.local_addr());
    let r = client()
        .get(&url)
        .header("host", "switchboard.internal:4242")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn cors_preflight_allows_sdk_headers_for_local_pages_only() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let preflight = |origin: &'static str| {
        client()
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,x-stainless-os,x-stainless-retry-count",
            )
            .send()
    };
    let ok = preflight("http://localhost:3000")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(ok.status().is_success());
    assert_eq!(
        ok.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("http://localhost:3000")
    );
    let allowed = ok
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    for h in [
        "authorization",
        "content-type",
        "x-stainless-os",
        "x-stainless-retry-count",
        "x-api-key",
    ] {
        assert!(allowed.contains(h), "{h} missing from {allowed}");
    }
    let foreign = preflight("https://evil.example.com")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    // The actual request from a local page carries the expose list.
    let r = client()
        .post(&url)
        .header("origin", "http://127.0.0.1:8080")
        .json(
            &json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "x"}]}),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let exposed = r
        .headers()
        .get("access-control-expose-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        exposed.contains("x-request-id") && exposed.contains("retry-after"),
        "{exposed}"
    );
}

#[tokio::test]
async fn configured_origins_and_wildcard() {
    let gw = gateway("[server]\ncors_origins = [\"https://chat.example.org\"]\n").await;
    let r = client()
        .get(format!("{}/models", gw.base_url()))
        .header("origin", "https://chat.example.org")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://chat.example.org")
    );
    let gw = gateway("[server]\ncors_origins = [\"*\"]\n").await;
    let r = client()
        .get(format!("{}/models", gw.base_url()))
        .header("origin", "https://anything.example")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.headers().get("access-control-allow-origin").is_some());
}

#[tokio::test]
async fn non_loopback_bind_is_refused_until_keys_exist() {
    let config = switchboard_gateway::Config::from_toml_str(
        "[server]\nhost = \"0.0.0.0\"\nport = 0\n",
        &Default::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let err = switchboard_gateway::Gateway::start(config)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("0.0.0.0") && err.contains("keys"), "{err}");
}
