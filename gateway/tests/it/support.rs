//! Test support: start a gateway on `127.0.0.1:0`, and fake upstreams that count what they receive.

#![allow(dead_code)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use serde_json::Value;
use switchboard_gateway::config::{Config, Env};
use switchboard_gateway::Gateway;
use tokio::net::TcpListener;

/// Starts a gateway from TOML text on a free loopback port.
pub async fn gateway(toml: &str) -> Gateway {
    let config = Config::from_toml_str(toml, &Env::default())
        .unwrap_or_else(|e| panic!("bad test config: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    Gateway::serve(listener, config).unwrap_or_else(|e| panic!("start: {e}"))
}

/// A gateway serving only the mock provider, with instant streaming.
pub async fn mock_gateway() -> Gateway {
    gateway("[mock]\nttft_ms = 0\ntokens_per_second = 0\n").await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

pub async fn post_json(url: &str, body: &Value) -> (u16, Value) {
    let r = client()
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
    )
}

/// The `id`s of a list answer's `data` (`/v1/models` and the like), in order.
pub fn data_ids(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str())
        .collect()
}

pub async fn get_json(url: &str) -> (u16, Value) {
    let r = client()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
    )
}

/// The JSON payloads of an SSE body, `[DONE]` excluded; asserts it ends with `[DONE]`.
pub fn sse_events(body: &str) -> Vec<Value> {
    let datas: Vec<&str> = body
        .split("\n\n")
        .filter_map(|e| e.trim().strip_prefix("data: "))
        .collect();
    assert_eq!(
        datas.last().copied(),
        Some("[DONE]"),
        "stream must end with [DONE]: {body}"
    );
    datas[..datas.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap_or_else(|e| panic!("bad event {d}: {e}")))
        .collect()
}

/// Asserts that an error body is the OpenAI envelope and returns the error object.
pub fn envelope(body: &Value) -> &Value {
    let e = &body["error"];
    assert!(e["message"].is_string(), "message must be a string: {body}");
    assert!(e["type"].is_string(), "type must be a string: {body}");
    assert!(
        e.get("param").is_some() && (e["param"].is_null() || e["param"].is_string()),
        "{body}"
    );
    assert!(
        e.get("code").is_some() && (e["code"].is_null() || e["code"].is_string()),
        "{body}"
    );
    e
}

/// What a fake upstream saw.
#[derive(Default)]
pub struct Seen {
    pub requests: Vec<(String, String, Option<String>, Vec<u8>)>, // method, path, authorization, body
    pub peers: HashSet<SocketAddr>,
}

pub type Log = Arc<Mutex<Seen>>;

/// Serves `app` on a free port; returns the base URL (`http://127.0.0.1:P`) and the log its handlers
/// should record into (the router gets it as an extension).
pub async fn upstream(app: Router<()>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    format!("http://{addr}")
}

/// Config text for a gateway with the mock off and one `openai` provider at `base`.
pub fn proxy_config(base: &str, extra: &str) -> String {
    format!("[mock]\nenabled = false\n\n[[providers]]\nid = \"up\"\nkind = \"openai\"\nbase_url = \"{base}/v1\"\n{extra}\n")
}

/// A fresh temporary directory for one test.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sb-{tag}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
    dir
}

/// A gateway whose config lives in a file (watched for edits, written by the admin API) and whose
/// state (keys, admin token) lives in `data_dir`. Returns the gateway and the config file's path.
pub async fn file_gateway(toml: &str, data_dir: &std::path::Path) -> (Gateway, std::path::PathBuf) {
    let path = data_dir.join("config.toml");
    std::fs::write(&path, toml).unwrap_or_else(|e| panic!("write config: {e}"));
    // The data directory comes from the environment, as the CLI passes it (the file may set its own).
    let env = Env {
        data_dir: Some(data_dir.to_path_buf()),
        ..Env::default()
    };
    let mut config = Config::load(&path, &env).unwrap_or_else(|e| panic!("bad test config: {e}"));
    config
        .server
        .data_dir
        .get_or_insert_with(|| data_dir.to_path_buf());
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let options = switchboard_gateway::Options {
        config_path: Some(path.clone()),
        env,
    };
    let gw =
        Gateway::serve_with(listener, config, options).unwrap_or_else(|e| panic!("start: {e}"));
    (gw, path)
}

/// Starts a gateway from TOML text with the caller's view of the environment.
pub async fn gateway_with_env(toml: &str, env: &Env) -> Gateway {
    let config =
        Config::from_toml_str(toml, env).unwrap_or_else(|e| panic!("bad test config: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    Gateway::serve(listener, config).unwrap_or_else(|e| panic!("start: {e}"))
}

/// An environment whose `{ env = "NAME" }` variables are exactly `vars`.
pub fn env_with_vars(vars: &[(&str, &str)]) -> Env {
    Env {
        vars: Some(
            vars.iter()
                .map(|(k, v)| {
                    (
                        (*k).to_owned(),
                        switchboard_gateway::config::Secret::new(*v),
                    )
                })
                .collect(),
        ),
        ..Env::default()
    }
}

/// One request a recording upstream received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Everything a recording upstream received, in order.
#[derive(Clone, Default)]
pub struct Hits(Arc<Mutex<Vec<Hit>>>);

impl Hits {
    pub fn all(&self) -> Vec<Hit> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    /// The requests to `path` (query excluded).
    pub fn to(&self, path: &str) -> Vec<Hit> {
        self.all().into_iter().filter(|h| h.path == path).collect()
    }
}

/// An upstream that records every request and answers with `respond(&hit)`; returns its base URL
/// (`http://127.0.0.1:P`) and the record.
pub async fn recording_upstream<F>(respond: F) -> (String, Hits)
where
    F: Fn(&Hit) -> axum::response::Response + Clone + Send + Sync + 'static,
{
    let hits = Hits::default();
    let log = hits.clone();
    let app = Router::new().fallback(
        move |method: axum::http::Method,
              uri: axum::http::Uri,
              headers: axum::http::HeaderMap,
              body: axum::body::Bytes| {
            let respond = respond.clone();
            let log = log.clone();
            async move {
                let hit = Hit {
                    method: method.to_string(),
                    path: uri.path().to_owned(),
                    query: uri.query().map(str::to_owned),
                    headers,
                    body: body.to_vec(),
                };
                let response = respond(&hit);
                log.0.lock().unwrap_or_else(|p| p.into_inner()).push(hit);
                response
            }
        },
    );
    (upstream(app).await, hits)
}

/// A `text/event-stream` response that sends `chunks` as separate writes, a few milliseconds apart, so
/// the gateway sees them as separate network chunks (events may be cut anywhere by the caller).
pub fn sse_chunks(chunks: Vec<String>) -> axum::response::Response {
    use futures_util::StreamExt;
    let stream = futures_util::stream::iter(chunks).then(|c| async move {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        Ok::<_, std::io::Error>(axum::body::Bytes::from(c))
    });
    axum::response::Response::builder()
        .header("content-type", "text/event-stream")
        .body(axum::body::Body::from_stream(stream))
        .unwrap_or_default()
}

/// A JSON response with `status`.
pub fn json_response(status: u16, body: &Value) -> axum::response::Response {
    axum::response::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap_or_default()
}
