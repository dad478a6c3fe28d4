//! The config file is live: hand edits apply without a restart, broken edits keep the last good
//! config, and the admin API writes it atomically with the user's comments kept.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::*;

async fn models(gw: &switchboard_gateway::Gateway) -> Vec<String> {
    let (_, v) = get_json(&format!("{}/models", gw.base_url())).await;
    v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect()
}

async fn eventually(mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn hand_edits_apply_and_broken_edits_keep_the_last_good_config() {
    let dir = temp_dir("reload");
    let (gw, path) = file_gateway("[mock]\nttft_ms = 0\n", &dir).await;
    assert!(models(&gw).await.contains(&"mock-gpt-3.5-turbo".to_owned()));

    // A good edit: a new mock model and an alias appear without a restart.
    std::fs::write(&path, "[mock]\nttft_ms = 0\n\n[[mock.models]]\nid = \"hot-model\"\ntype = \"chat\"\n\n[[routes]]\nmodel = \"gpt-4o\"\ntargets = [\"mock:hot-model\"]\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        eventually(async || models(&gw).await.contains(&"hot-model".to_owned())).await,
        "the edit was not applied"
    );
    let (s, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!((s, v["model"].as_str()), (200, Some("hot-model")));

    // A broken edit: reported, and the last good config keeps serving.
    std::fs::write(&path, "[mock\nttft_ms = ").unwrap_or_else(|e| panic!("{e}"));
    let health = format!("http://{}/health", gw.local_addr());
    assert!(eventually(async || get_json(&health).await.1["config_error"].is_string()).await);
    let (_, h) = get_json(&health).await;
    assert!(
        h["config_error"]
            .as_str()
            .unwrap_or_default()
            .contains("line 1"),
        "{h}"
    );
    assert!(models(&gw).await.contains(&"hot-model".to_owned()));
    assert_eq!(ask_status(&gw).await, 200);

    // Fixing it clears the error.
    std::fs::write(&path, "[mock]\nttft_ms = 0\n").unwrap_or_else(|e| panic!("{e}"));
    assert!(eventually(async || get_json(&health).await.1["config_error"].is_null()).await);
    assert!(eventually(async || !models(&gw).await.contains(&"hot-model".to_owned())).await);
}

async fn ask_status(gw: &switchboard_gateway::Gateway) -> u16 {
    post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await
    .0
}

#[tokio::test]
async fn admin_writes_keep_comments_apply_at_once_and_refuse_invalid_changes() {
    let dir = temp_dir("admin-write");
    let original = "# my gateway\n[mock]\nttft_ms = 0 # fast please\n";
    let (gw, path) = file_gateway(original, &dir).await;
    let origin = format!("http://{}", gw.local_addr());
    let r = client()
        .put(format!("{origin}/admin/routes/gpt-4o"))
        .json(&json!({"targets": ["mock:mock-gpt-3.5-turbo"]}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text.starts_with("# my gateway\n") && text.contains("# fast please"),
        "comments were lost:\n{text}"
    );
    assert!(
        text.contains("[[routes]]") && text.contains("gpt-4o"),
        "{text}"
    );
    let (s, v) = post_json(
        &format!("{origin}/v1/chat/completions"),
        &json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(
        (s, v["model"].as_str()),
        (200, Some("mock-gpt-3.5-turbo")),
        "applied without waiting for the file watcher"
    );

    // A provider through the admin API, then an invalid one that must not be written.
    let r = client()
        .put(format!("{origin}/admin/providers/local"))
        .json(&json!({"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "models": ["x"]}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    let r = client()
        .put(format!("{origin}/admin/providers/broken"))
        .json(&json!({"kind": "openai", "base_url": "not a url"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap_or_default();
    assert!(
        envelope(&v)["message"]
            .as_str()
            .unwrap_or_default()
            .contains("base_url"),
        "{v}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        before,
        "an invalid change writes nothing"
    );
    let (_, config) = get_json(&format!("{origin}/admin/config")).await;
    let ids: Vec<&str> = config["providers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["local"]);

    let r = client()
        .delete(format!("{origin}/admin/providers/local"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    assert!(!std::fs::read_to_string(&path)
        .unwrap_or_default()
        .contains("local"));
}

#[tokio::test]
async fn keys_entered_in_the_admin_api_go_to_the_secret_store_not_the_config_file() {
    use axum::routing::post;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let s2 = seen.clone();
    let app = axum::Router::new().route("/v1/chat/completions", post(move |headers: axum::http::HeaderMap| {
        let s2 = s2.clone();
        async move {
            *s2.lock().unwrap_or_else(|p| p.into_inner()) = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
            axum::Json(json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": []}))
        }
    }));
    let base = upstream(app).await;
    let dir = temp_dir("admin-secret");
    let (gw, path) = file_gateway("[mock]\nenabled = false\n", &dir).await;
    let origin = format!("http://{}", gw.local_addr());
    let r = client().put(format!("{origin}/admin/providers/up")).json(&json!({"kind": "openai", "base_url": format!("{base}/v1"), "models": ["m"], "api_key": "sk-typed-in-the-dashboard"}))
        .send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = r.status();
    let shown = r.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{shown}");
    assert!(
        !shown.contains("sk-typed-in-the-dashboard"),
        "the answer masks the key: {shown}"
    );
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        !text.contains("sk-typed-in-the-dashboard") && text.contains("keychain"),
        "{text}"
    );
    let (s, _) = post_json(
        &format!("{origin}/v1/chat/completions"),
        &json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        seen.lock().unwrap_or_else(|p| p.into_inner()).as_deref(),
        Some("Bearer sk-typed-in-the-dashboard")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("secrets.json"))
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600);
    }
}
