//! Bad input of every kind gets the OpenAI envelope with the right status, never a panic.

use serde_json::{json, Value};

use crate::support::*;

async fn raw_post(url: &str, body: Vec<u8>) -> (u16, Value) {
    let r = client()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
    )
}

#[tokio::test]
async fn malformed_and_wrongly_shaped_bodies_are_400_naming_the_param() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("{not json", None),
        ("[1,2,3]", None),
        ("", None),
        (r#"{"model":"mock-gpt-3.5-turbo"}"#, Some("messages")),
        (
            r#"{"messages":[{"role":"user","content":"x"}]}"#,
            Some("model"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":"hi"}"#,
            Some("messages"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":[{"role":"robot","content":"x"}]}"#,
            Some("messages[0].role"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":[]}"#,
            Some("messages"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":[{"role":"user","content":"x"}],"n":0}"#,
            Some("n"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":[{"role":"user","content":"x"}],"temperature":3}"#,
            Some("temperature"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":[{"role":"user","content":"x"}],"max_tokens":-1}"#,
            Some("max_tokens"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":[{"role":"user","content":"x"}],"max_tokens":0}"#,
            Some("max_tokens"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}"#,
            Some("max_completion_tokens"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":[{"role":"tool","content":"x"}]}"#,
            Some("messages[0].tool_call_id"),
        ),
        (
            r#"{"model":"mock-gpt-3.5-turbo","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"nope"}}}"#,
            Some("tool_choice"),
        ),
    ];
    for (body, param) in cases {
        let (status, v) = raw_post(&url, body.as_bytes().to_vec()).await;
        assert_eq!(status, 400, "{body} → {v}");
        let e = envelope(&v);
        assert_eq!(e["type"], "invalid_request_error", "{body}");
        assert_eq!(e["param"].as_str(), param, "{body} → {v}");
    }
}

#[tokio::test]
async fn bad_bodies_on_every_endpoint_are_400() {
    let gw = mock_gateway().await;
    for (path, body) in [
        (
            "completions",
            json!({"model": "mock-davinci-002", "prompt": {"x": 1}}),
        ),
        (
            "embeddings",
            json!({"model": "mock-embedding-ada-002", "input": ""}),
        ),
        (
            "embeddings",
            json!({"model": "mock-embedding-ada-002", "input": "x", "dimensions": 0}),
        ),
        (
            "embeddings",
            json!({"model": "mock-embedding-ada-002", "input": "x", "encoding_format": "hex"}),
        ),
        (
            "embeddings",
            json!({"model": "mock-embedding-ada-002", "input": [[999999999]]}),
        ),
        (
            "rerank",
            json!({"model": "mock-rerank-v1", "documents": ["a"]}),
        ),
    ] {
        let (s, v) = post_json(&format!("{}/{path}", gw.base_url()), &body).await;
        assert_eq!(s, 400, "{path} {body} → {v}");
        envelope(&v);
    }
}

#[tokio::test]
async fn unknown_model_is_404_listing_what_is_available() {
    let gw = mock_gateway().await;
    let (s, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 404);
    let e = envelope(&v);
    assert_eq!(e["code"], "model_not_found");
    assert_eq!(e["param"], "model");
    let message = e["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("gpt-9") && message.contains("mock-gpt-3.5-turbo"),
        "{message}"
    );
}

#[tokio::test]
async fn a_model_of_the_wrong_kind_is_400_saying_where_it_belongs() {
    let gw = mock_gateway().await;
    let (s, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "mock-embedding-ada-002", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 400);
    assert!(envelope(&v)["message"]
        .as_str()
        .unwrap_or_default()
        .contains("/v1/embeddings"));
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let gw = gateway("[server]\nmax_body_bytes = 1024\n").await;
    let big = json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "x".repeat(4096)}]});
    let (s, v) = post_json(&format!("{}/chat/completions", gw.base_url()), &big).await;
    assert_eq!(s, 413);
    assert_eq!(envelope(&v)["code"], "request_too_large");
    // Without a Content-Length (chunked upload) the limit still holds.
    let chunks =
        futures_util::stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(vec![b' '; 512])));
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn unknown_routes_and_methods_use_the_envelope() {
    let gw = mock_gateway().await;
    let (s, v) = get_json(&format!("{}/nope", gw.base_url())).await;
    assert_eq!(s, 404);
    envelope(&v);
    let (s, v) = get_json(&format!("{}/chat/completions", gw.base_url())).await;
    assert_eq!(s, 405);
    envelope(&v);
}

#[tokio::test]
async fn query_strings_on_api_routes_are_tolerated() {
    let gw = mock_gateway().await;
    let (s, _) = post_json(
        &format!("{}/chat/completions?beta=true", gw.base_url()),
        &json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn random_bodies_never_crash_the_server() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let mut rng = fastrand::Rng::with_seed(7);
    let pieces = [
        r#"{"model":"#,
        r#""mock-gpt-3.5-turbo""#,
        r#","messages":"#,
        "[",
        "]",
        "{",
        "}",
        r#""role""#,
        ":",
        ",",
        r#""user""#,
        r#""content""#,
        "null",
        "1e999",
        "-0",
        r#""\ud800""#,
        "true",
        r#""n":"#,
        "99999999999999999999",
    ];
    for _ in 0..300 {
        let body: String = (0..rng.usize(1..20))
            .map(|_| pieces[rng.usize(..pieces.len())])
            .collect();
        let r = client()
            .post(&url)
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        let status = r.status().as_u16();
        assert!(
            status == 200 || status == 400 || status == 404,
            "{body} → {status}"
        );
        if status != 200 {
            let v: Value = r.json().await.unwrap_or_default();
            envelope(&v);
        }
    }
    let (s, _) = get_json(&format!("http://{}/health", gw.local_addr())).await;
    assert_eq!(s, 200);
}
