//! The dashboard's serving (`/ui/`: page, assets, caching, the admin cookie) and the Connect page's
//! admin routes (`/admin/snippets`, `/admin/presets`). Works whether or not `ui/dist` was built into
//! this binary: without it `/ui/` is the status page with a line on how to build the dashboard.

use serde_json::Value;

use crate::support::{client, file_gateway, get_json, mock_gateway, post_json, temp_dir};

#[tokio::test]
async fn ui_paths_serve_the_page_and_assets_with_the_right_caching() {
    let gw = mock_gateway().await;
    let base = format!("http://{}", gw.local_addr());
    let page = client()
        .get(format!("{base}/ui/logs"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert!(h["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/html"));
    assert_eq!(h["cache-control"], "no-cache");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap_or("")
        .contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap_or_default();
    if !switchboard_gateway::ui_assets::built() {
        assert!(html.contains("npm run build"), "{html}");
        return;
    }
    assert!(html.contains("<div id=\"app\">"), "{html}");
    // The hashed script the page names is served, long-cached, as JavaScript.
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no script in {html}"));
    let js = client()
        .get(format!("{base}{script}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/javascript"));
    assert!(js.headers()["cache-control"]
        .to_str()
        .unwrap_or("")
        .contains("immutable"));
    // A missing file is a 404, not the page.
    let missing = client()
        .get(format!("{base}/ui/assets/gone-1234.js"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(missing.status(), 404);
    let no_slash = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .get(format!("{base}/ui"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(no_slash.headers()["location"], "/ui/");
}

/// A gateway with its data in a fresh directory and one gateway key, so the admin API needs the admin
/// token (the file `admin-token` there); returns it, its base URL and the directory.
async fn gateway_with_a_key(
    name: &str,
) -> (switchboard_gateway::Gateway, String, std::path::PathBuf) {
    let dir = temp_dir(name);
    let (gw, _) = file_gateway("", &dir).await;
    let base = format!("http://{}", gw.local_addr());
    let (status, _) = post_json(
        &format!("{base}/admin/auth/keys"),
        &serde_json::json!({"name": "t"}),
    )
    .await;
    assert_eq!(status, 201);
    (gw, base, dir)
}

#[tokio::test]
async fn the_page_brings_the_admin_cookie_that_passes_the_guard_once_keys_exist() {
    let (_gw, base, _dir) = gateway_with_a_key("dashboard-cookie").await;
    let (status, _) = get_json(&format!("{base}/admin/config")).await;
    assert_eq!(status, 401, "keys exist: the admin API needs a credential");
    let page = client()
        .get(format!("{base}/ui/"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    if !switchboard_gateway::ui_assets::built() {
        return;
    }
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/admin"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap_or("").to_owned();
    let config = client()
        .get(format!("{base}/admin/config"))
        .header("cookie", &pair)
        .header("origin", &base)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.status(), 200);
    let foreign = client()
        .get(format!("{base}/admin/config"))
        .header("cookie", &pair)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(foreign.status(), 403);
}

#[tokio::test]
async fn snippets_list_tools_and_render_with_the_real_base_url() {
    let gw = mock_gateway().await;
    let base = format!("http://{}", gw.local_addr());
    let (status, list) = get_json(&format!("{base}/admin/snippets")).await;
    assert_eq!(status, 200);
    assert!(list["data"].as_array().map_or(0, Vec::len) >= 19, "{list}");
    assert_eq!(list["defaults"]["base_url"], format!("{base}/v1"));
    assert_eq!(list["defaults"]["keys_required"], false);

    let (status, s) = get_json(&format!(
        "{base}/admin/snippets?tool=continue&model=mock-gpt-3.5-turbo&embed_model=mock-embedding-ada-002"
    ))
    .await;
    assert_eq!(status, 200, "{s}");
    let yaml = s["blocks"][0]["content"].as_str().unwrap_or("");
    assert!(yaml.contains(&format!("apiBase: \"{base}/v1\"")), "{yaml}");
    assert!(yaml.contains("apiKey: \"sk-local\""), "{yaml}");
    assert!(yaml.contains("roles: [embed]"), "{yaml}");
    assert!(s["text"].as_str().unwrap_or("").contains(yaml));

    let (status, err) = get_json(&format!("{base}/admin/snippets?tool=windsurf")).await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["param"], "tool");
    let (status, err) = get_json(&format!("{base}/admin/snippets?tool=curl&model=a%22b")).await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["param"], "model");
    let (status, _) = get_json(&format!("{base}/admin/snippets?tool=curl&modle=x")).await;
    assert_eq!(status, 400, "a misspelt parameter is refused");
}

#[tokio::test]
async fn presets_are_listed_for_the_add_provider_dialog() {
    let gw = mock_gateway().await;
    let (status, body) = get_json(&format!("http://{}/admin/presets", gw.local_addr())).await;
    assert_eq!(status, 200);
    let data = body["data"].as_array().cloned().unwrap_or_default();
    let openrouter = data
        .iter()
        .find(|p| p["name"] == "openrouter")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(openrouter["base_url"], "https://openrouter.ai/api/v1");
    assert_eq!(openrouter["key_env"], "OPENROUTER_API_KEY");
    assert!(data
        .iter()
        .any(|p| p["name"] == "ollama" && p["local"] == true));
}

#[tokio::test]
async fn models_name_the_provider_that_serves_them() {
    let gw = mock_gateway().await;
    let (status, body) = get_json(&format!("http://{}/admin/models", gw.local_addr())).await;
    assert_eq!(status, 200);
    let data = body["data"].as_array().cloned().unwrap_or_default();
    assert!(data
        .iter()
        .any(|m| m["id"] == "mock-gpt-3.5-turbo" && m["provider"] == "mock"));
}

#[tokio::test]
async fn signing_in_turns_the_admin_token_into_the_session_cookie_for_event_streams() {
    // What the dashboard of a gateway listening beyond loopback does: its page brings no cookie, the
    // user types the admin token, and POST /admin/session makes it the HttpOnly cookie, which the
    // browser's EventSource then sends (it cannot send an Authorization header).
    let (_gw, base, dir) = gateway_with_a_key("dashboard-session").await;
    let token = std::fs::read_to_string(dir.join("admin-token"))
        .unwrap_or_else(|e| panic!("{e}"))
        .trim()
        .to_owned();
    let session = |auth: Option<String>| {
        let mut r = client().post(format!("{base}/admin/session"));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send()
    };

    let refused = session(None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refused.status(), 401, "no credential, no session");
    let wrong = session(Some("Bearer sk-not-the-token".into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(wrong.status(), 401);

    let started = session(Some(format!("Bearer {token}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.status(), 204);
    let cookie = started.headers()["set-cookie"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        cookie.starts_with(&format!("sb_admin={token};"))
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/admin"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap_or("").to_owned();
    let stream = client()
        .get(format!("{base}/admin/health/stream"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/event-stream"));
    drop(stream);

    let ended = client()
        .delete(format!("{base}/admin/session"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ended.status(), 204);
    let cleared = ended.headers()["set-cookie"].to_str().unwrap_or("");
    assert!(
        cleared.starts_with("sb_admin=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
}
