//! Gateway keys (OpenAI-mocker's model) and the admin API's guard.

use serde_json::{json, Value};

use crate::support::*;

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn keys_turn_auth_on_and_removing_the_last_reopens() {
    let dir = temp_dir("keys");
    let (gw, _) = file_gateway("[mock]\nttft_ms = 0\n", &dir).await;
    let origin = format!("http://{}", gw.local_addr());
    let models = format!("{origin}/v1/models");
    // Zero-key state: open, any bearer accepted (OpenAI-mocker's curl examples).
    assert_eq!(
        send(client().get(&models).bearer_auth("sk-mock-xxxx"))
            .await
            .0,
        200
    );
    // curl-style admin call: loopback, no Origin, no content type.
    let (s, created) = send(
        client()
            .post(format!("{origin}/admin/auth/keys"))
            .body(r#"{"name":"my-application"}"#),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let key = created["key"].as_str().unwrap_or_default().to_owned();
    assert!(key.starts_with("sk-sb-"));
    // Now /v1 needs the key, as Bearer or x-api-key.
    let (s, body) = send(client().get(&models)).await;
    assert_eq!(s, 401);
    assert_eq!(envelope(&body)["code"], "invalid_api_key");
    assert_eq!(
        send(client().get(&models).bearer_auth("sk-wrong")).await.0,
        401
    );
    assert_eq!(send(client().get(&models).bearer_auth(&key)).await.0, 200);
    assert_eq!(
        send(client().get(&models).header("x-api-key", &key))
            .await
            .0,
        200
    );
    assert_eq!(
        send(
            client()
                .post(format!("{origin}/rerank"))
                .json(&json!({"model": "mock-rerank-v1", "query": "q", "documents": ["a"]}))
        )
        .await
        .0,
        401
    );
    // The admin API now needs the admin token.
    assert_eq!(
        send(client().get(format!("{origin}/admin/auth/keys")))
            .await
            .0,
        401
    );
    let token = std::fs::read_to_string(dir.join("admin-token")).unwrap_or_default();
    let (s, listed) = send(
        client()
            .get(format!("{origin}/admin/auth/keys"))
            .bearer_auth(token.trim()),
    )
    .await;
    assert_eq!(s, 200);
    let shown = listed["data"][0]["key"].as_str().unwrap_or_default();
    assert!(
        shown.contains('…') && !shown.contains(&key[10..key.len() - 4]),
        "listed keys are masked: {shown}"
    );
    assert_eq!(listed["data"][0]["name"], "my-application");
    // Revoke the last key: open again.
    let (s, _) = send(
        client()
            .delete(format!("{origin}/admin/auth/keys/{key}"))
            .bearer_auth(token.trim()),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(send(client().get(&models)).await.0, 200);
    // DELETE /admin/auth/keys removes all.
    let _ = send(
        client()
            .post(format!("{origin}/admin/auth/keys"))
            .json(&json!({"name": "a"})),
    )
    .await;
    let (s, v) = send(
        client()
            .delete(format!("{origin}/admin/auth/keys"))
            .bearer_auth(token.trim()),
    )
    .await;
    assert_eq!((s, v["deleted"].as_u64()), (200, Some(1)));
    assert_eq!(send(client().get(&models)).await.0, 200);
}

#[tokio::test]
async fn keys_survive_a_restart_and_allow_a_non_loopback_bind() {
    let dir = temp_dir("keys-restart");
    let (gw, path) = file_gateway("", &dir).await;
    let origin = format!("http://{}", gw.local_addr());
    let (_, created) = send(
        client()
            .post(format!("{origin}/admin/auth/keys"))
            .json(&json!({"name": "ci"})),
    )
    .await;
    let key = created["key"].as_str().unwrap_or_default().to_owned();
    gw.shutdown().await;
    let (gw, _) = file_gateway(&std::fs::read_to_string(&path).unwrap_or_default(), &dir).await;
    let models = format!("{}/models", gw.base_url());
    assert_eq!(send(client().get(&models)).await.0, 401);
    assert_eq!(send(client().get(&models).bearer_auth(&key)).await.0, 200);
    // With a key on file, listening on all interfaces is allowed.
    let mut config = switchboard_gateway::Config::from_toml_str(
        "[server]\nhost = \"0.0.0.0\"\nport = 0\n",
        &Default::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    config.server.data_dir = Some(dir.clone());
    let open = switchboard_gateway::Gateway::start(config).await;
    assert!(open.is_ok(), "{:?}", open.err().map(|e| e.to_string()));
    if let Ok(g) = open {
        g.shutdown().await;
    }
}

#[tokio::test]
async fn admin_api_refuses_foreign_origins_form_posts_and_framing() {
    let dir = temp_dir("admin-guard");
    let (gw, _) = file_gateway("", &dir).await;
    let origin = format!("http://{}", gw.local_addr());
    let keys = format!("{origin}/admin/auth/keys");
    for foreign in ["https://evil.example", "http://localhost:1", "null"] {
        let (s, v) = send(
            client()
                .post(&keys)
                .header("origin", foreign)
                .json(&json!({"name": "x"})),
        )
        .await;
        assert_eq!(s, 403, "{foreign}: {v}");
        let (s, _) = send(client().get(&keys).header("origin", foreign)).await;
        assert_eq!(s, 403, "{foreign} may not read either");
    }
    let (s, _) = send(
        client()
            .post(&keys)
            .header("origin", origin.as_str())
            .header("sec-fetch-site", "cross-site")
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = send(
        client()
            .post(&keys)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=x"),
    )
    .await;
    assert_eq!(s, 403, "a form post must not create keys");
    let (s, _) = send(
        client()
            .post(&keys)
            .header("content-type", "text/plain")
            .body(r#"{"name":"x"}"#),
    )
    .await;
    assert_eq!(s, 403);
    // The dashboard's own origin works, and answers carry anti-framing headers.
    let r = client()
        .get(&keys)
        .header("origin", origin.as_str())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("x-frame-options")
            .and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
    // A rebinding Host is refused before anything else.
    let (s, _) = send(client().get(&keys).header("host", "attacker.example:4242")).await;
    assert_eq!(s, 403);
    assert!(
        send(client().get(&keys)).await.1["data"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "nothing was created"
    );
}

#[tokio::test]
async fn openai_mocker_model_management_curl_examples() {
    let gw = mock_gateway().await;
    let origin = format!("http://{}", gw.local_addr());
    let (s, _) = send(client().post(format!("{origin}/admin/models/load")).header("content-type", "application/json")
        .body(r#"{"model_id": "custom-gpt-4", "model_type": "chat", "owned_by": "my-organization"}"#)).await;
    assert_eq!(s, 200);
    let (_, m) = get_json(&format!("{origin}/v1/models/custom-gpt-4")).await;
    assert_eq!(m["owned_by"], "my-organization");
    let (s, v) = post_json(
        &format!("{origin}/v1/chat/completions"),
        &json!({"model": "custom-gpt-4", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!((s, v["model"].as_str()), (200, Some("custom-gpt-4")));
    let (s, _) = send(
        client()
            .post(format!("{origin}/admin/models/unload"))
            .header("content-type", "application/json")
            .body(r#"{"model_id": "custom-gpt-4"}"#),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        get_json(&format!("{origin}/v1/models/custom-gpt-4"))
            .await
            .0,
        404
    );
    let (s, v) = send(client().post(format!("{origin}/admin/models/unload_all"))).await;
    assert_eq!(s, 200);
    assert_eq!(v["unloaded"], 5);
    let (_, list) = get_json(&format!("{origin}/v1/models")).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn the_gateway_key_never_travels_upstream_and_names_the_client_in_logs() {
    use axum::routing::post;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(
        Vec::<(Option<String>, Option<String>)>::new(),
    ));
    let s2 = seen.clone();
    let app = axum::Router::new().route("/v1/chat/completions", post(move |headers: axum::http::HeaderMap| {
        let s2 = s2.clone();
        async move {
            let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
            s2.lock().unwrap_or_else(|p| p.into_inner()).push((h("authorization"), h("x-api-key")));
            axum::Json(json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": []}))
        }
    }));
    let base = upstream(app).await;
    let dir = temp_dir("key-strip");
    let config = format!("[mock]\nenabled = false\n\n[[providers]]\nid = \"own\"\nkind = \"openai\"\nbase_url = \"{base}/v1\"\nmodels = [\"m\"]\napi_key = {{ passthrough = true }}\n\n[[providers]]\nid = \"keyed\"\nkind = \"openai\"\nbase_url = \"{base}/v1\"\nmodels = [\"k\"]\napi_key = \"sk-provider-key\"\n");
    let (gw, _) = file_gateway(&config, &dir).await;
    let origin = format!("http://{}", gw.local_addr());
    let (_, created) = send(
        client()
            .post(format!("{origin}/admin/auth/keys"))
            .json(&json!({"name": "my-app"})),
    )
    .await;
    let key = created["key"].as_str().unwrap_or_default().to_owned();
    let mut records = gw.subscribe_requests();
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
    // Gateway key in x-api-key, the client's own upstream key in Authorization (pass-through).
    let (s, _) = send(
        client()
            .post(format!("{origin}/v1/chat/completions"))
            .header("x-api-key", &key)
            .bearer_auth("sk-users-own-upstream-key")
            .json(&body),
    )
    .await;
    assert_eq!(s, 200);
    // Gateway key as Bearer to a provider with its own key.
    let (s, _) = send(
        client()
            .post(format!("{origin}/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&json!({"model": "k", "messages": [{"role": "user", "content": "x"}]})),
    )
    .await;
    assert_eq!(s, 200);
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(
        seen[0],
        (Some("Bearer sk-users-own-upstream-key".into()), None)
    );
    assert_eq!(seen[1], (Some("Bearer sk-provider-key".into()), None));
    assert!(seen
        .iter()
        .all(|(a, x)| !a.as_deref().unwrap_or("").contains(&key)
            && !x.as_deref().unwrap_or("").contains(&key)));
    let rec = tokio::time::timeout(std::time::Duration::from_secs(5), records.recv())
        .await
        .ok()
        .and_then(Result::ok);
    assert_eq!(
        rec.and_then(|r| r.key_name.clone()).as_deref(),
        Some("my-app")
    );
}
