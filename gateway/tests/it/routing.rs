//! Routing: aliases with fallback chains, retries that honour retry-after, defaults, forced mock,
//! route parameters. Upstream hit counts and timings are asserted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use switchboard_gateway::config::{Config, Env};

use crate::support::*;

/// An upstream that answers every chat request with `status`, `headers` and `body`, counting hits
/// and keeping the last body it received.
async fn scripted(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> (String, Arc<AtomicUsize>, Arc<Mutex<Value>>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(Mutex::new(Value::Null));
    let (h, l) = (hits.clone(), last.clone());
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |req: Bytes| {
            let (h, l) = (h.clone(), l.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                *l.lock().unwrap_or_else(|p| p.into_inner()) =
                    serde_json::from_slice(&req).unwrap_or(Value::Null);
                let mut r =
                    (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
                r.headers_mut().insert(
                    "content-type",
                    "application/json"
                        .parse()
                        .unwrap_or_else(|_| unreachable!()),
                );
                for (k, v) in headers {
                    if let Ok(v) = v.parse() {
                        r.headers_mut().insert(*k, v);
                    }
                }
                r
            }
        }),
    );
    (upstream(app).await, hits, last)
}

const OK_BODY: &str = r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"from b","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#;
const ERR_BODY: &str =
    r#"{"error":{"message":"upstream trouble","type":"server_error","param":null,"code":null}}"#;

fn two_providers(a: &str, b: &str, routing: &str) -> String {
    format!(
        "[mock]\nenabled = false\n\n[routing]\nretry_backoff_ms = 50\n{routing}\n\n\
         [[providers]]\nid = \"a\"\nkind = \"openai\"\nbase_url = \"{a}/v1\"\nmodels = [\"m\"]\n\n\
         [[providers]]\nid = \"b\"\nkind = \"openai\"\nbase_url = \"{b}/v1\"\nmodels = [\"m2\"]\n\n\
         [[routes]]\nmodel = \"gpt-4o\"\ntargets = [\"a:m\", \"b:m\"]\nretries = 1\n"
    )
}

async fn ask(gw: &switchboard_gateway::Gateway, model: &str) -> (u16, Value) {
    post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": model, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await
}

#[tokio::test]
async fn a_failing_first_target_is_retried_then_the_chain_falls_back() {
    let (a, a_hits, _) = scripted(503, &[], ERR_BODY).await;
    let (b, b_hits, _) = scripted(200, &[], OK_BODY).await;
    let gw = gateway(&two_providers(&a, &b, "")).await;
    let started = Instant::now();
    let (s, v) = ask(&gw, "gpt-4o").await;
    assert_eq!(s, 200);
    assert_eq!(v["choices"][0]["message"]["content"], "from b");
    assert_eq!(
        a_hits.load(Ordering::SeqCst),
        2,
        "one try and one retry on a"
    );
    assert_eq!(b_hits.load(Ordering::SeqCst), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(35),
        "the retry waited for its backoff"
    );
}

#[tokio::test]
async fn retry_after_is_honoured_and_a_long_one_moves_on_at_once() {
    let (a, a_hits, _) = scripted(429, &[("retry-after-ms", "300")], ERR_BODY).await;
    let (b, b_hits, _) = scripted(200, &[], OK_BODY).await;
    let gw = gateway(&two_providers(&a, &b, "")).await;
    let started = Instant::now();
    assert_eq!(ask(&gw, "gpt-4o").await.0, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(
        (a_hits.load(Ordering::SeqCst), b_hits.load(Ordering::SeqCst)),
        (2, 1)
    );

    let (a, a_hits, _) = scripted(429, &[("retry-after", "60")], ERR_BODY).await;
    let (b, b_hits, _) = scripted(200, &[], OK_BODY).await;
    let gw = gateway(&two_providers(&a, &b, "")).await;
    let started = Instant::now();
    assert_eq!(ask(&gw, "gpt-4o").await.0, 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a 60 s retry-after must not be waited out"
    );
    assert_eq!(
        (a_hits.load(Ordering::SeqCst), b_hits.load(Ordering::SeqCst)),
        (1, 1)
    );
}

#[tokio::test]
async fn client_errors_are_not_retried_or_passed_on() {
    let (a, a_hits, _) = scripted(400, &[], r#"{"error":{"message":"bad request","type":"invalid_request_error","param":"messages","code":null}}"#).await;
    let (b, b_hits, _) = scripted(200, &[], OK_BODY).await;
    let gw = gateway(&two_providers(&a, &b, "")).await;
    let (s, v) = ask(&gw, "gpt-4o").await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["param"], "messages");
    assert_eq!(
        (a_hits.load(Ordering::SeqCst), b_hits.load(Ordering::SeqCst)),
        (1, 0)
    );
}

#[tokio::test]
async fn a_dead_first_target_falls_back_and_all_dead_reports_the_last_error() {
    let dead = format!(
        "http://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9)
    );
    let (b, b_hits, _) = scripted(200, &[], OK_BODY).await;
    let gw = gateway(&two_providers(&dead, &b, "")).await;
    assert_eq!(ask(&gw, "gpt-4o").await.0, 200);
    assert_eq!(b_hits.load(Ordering::SeqCst), 1);

    let (b, b_hits, _) = scripted(500, &[], ERR_BODY).await;
    let gw = gateway(&two_providers(&dead, &b, "")).await;
    let (s, v) = ask(&gw, "gpt-4o").await;
    assert_eq!(s, 500);
    assert_eq!(v["error"]["message"], "upstream trouble");
    assert_eq!(b_hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_lone_target_is_not_retried_by_the_gateway() {
    let (a, a_hits, _) = scripted(503, &[], ERR_BODY).await;
    let (b, _, _) = scripted(200, &[], OK_BODY).await;
    let gw = gateway(&two_providers(&a, &b, "")).await;
    assert_eq!(ask(&gw, "m").await.0, 503);
    assert_eq!(
        a_hits.load(Ordering::SeqCst),
        1,
        "the client's SDK does its own retries"
    );
}

#[tokio::test]
async fn streams_fall_back_before_the_first_byte() {
    let (a, a_hits, _) = scripted(502, &[], ERR_BODY).await;
    let mock_cfg = "[mock]\nttft_ms = 0\ntokens_per_second = 0\n\n[[providers]]\nid = \"a\"\nkind = \"openai\"\nbase_url = \"A/v1\"\nmodels = [\"m\"]\n\n[[routes]]\nmodel = \"smart\"\ntargets = [\"a:m\", \"mock:mock-gpt-3.5-turbo\"]\nretries = 0\n".replace("A/v1", &format!("{a}/v1"));
    let gw = gateway(&mock_cfg).await;
    let body = client().post(format!("{}/chat/completions", gw.base_url()))
        .json(&json!({"model": "smart", "stream": true, "messages": [{"role": "user", "content": "x"}]}))
        .send().await.unwrap_or_else(|e| panic!("{e}")).text().await.unwrap_or_default();
    let events = sse_events(&body);
    assert_eq!(events[0]["model"], "mock-gpt-3.5-turbo");
    assert_eq!(a_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn default_route_and_ignoring_the_clients_model() {
    let gw =
        gateway("[mock]\nttft_ms = 0\n[routing]\ndefault = \"mock:mock-gpt-3.5-turbo\"\n").await;
    let (s, v) = ask(&gw, "gpt-4o").await;
    assert_eq!((s, v["model"].as_str()), (200, Some("mock-gpt-3.5-turbo")));
    let (_, v) = ask(&gw, "deepseek-reasoner").await;
    assert_eq!(
        v["model"], "deepseek-reasoner",
        "a listed model still wins over the default"
    );

    let gw = gateway("[mock]\nttft_ms = 0\n[routing]\ndefault = \"mock:mock-gpt-3.5-turbo\"\nignore_client_model = true\n").await;
    let (_, v) = ask(&gw, "deepseek-reasoner").await;
    assert_eq!(
        v["model"], "mock-gpt-3.5-turbo",
        "the server uses its own model"
    );
}

#[tokio::test]
async fn force_mock_sends_everything_to_the_mock_provider() {
    let (a, a_hits, _) = scripted(200, &[], OK_BODY).await;
    let env = Env {
        force_mock: true,
        ..Env::default()
    };
    let text = format!("[mock]\nttft_ms = 0\n\n[[providers]]\nid = \"a\"\nkind = \"openai\"\nbase_url = \"{a}/v1\"\nmodels = [\"gpt-4o\"]\n");
    let config = Config::from_toml_str(&text, &env).unwrap_or_else(|e| panic!("{e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let gw =
        switchboard_gateway::Gateway::serve(listener, config).unwrap_or_else(|e| panic!("{e}"));
    let (s, v) = ask(&gw, "gpt-4o").await;
    assert_eq!((s, v["model"].as_str()), (200, Some("mock-gpt-3.5-turbo")));
    let (_, e) = post_json(
        &format!("{}/embeddings", gw.base_url()),
        &json!({"model": "text-embedding-3-small", "input": "x"}),
    )
    .await;
    assert_eq!(e["model"], "mock-embedding-ada-002");
    assert_eq!(a_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn route_params_and_chatmock_reasoning_reach_the_upstream() {
    let (a, _, last) = scripted(200, &[], OK_BODY).await;
    let text = format!(
        "[mock]\nenabled = false\n\n[[providers]]\nid = \"a\"\nkind = \"openai\"\nbase_url = \"{a}/v1\"\nmodels = [\"m\"]\n\n\
         [[routes]]\nmodel = \"thinker\"\ntargets = [\"a:m\"]\nparams = {{ reasoning_effort = \"high\", temperature = 0.1 }}\n"
    );
    let gw = gateway(&text).await;
    let (s, _) = post_json(&format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "thinker", "temperature": 0.9, "messages": [{"role": "user", "content": "x"}]})).await;
    assert_eq!(s, 200);
    let sent = last.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(
        (sent["model"].as_str(), sent["reasoning_effort"].as_str()),
        (Some("m"), Some("high"))
    );
    assert_eq!(sent["temperature"], 0.9, "the client's own value wins");
    let (_, _) = post_json(&format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "m", "reasoning": {"effort": "low"}, "messages": [{"role": "user", "content": "x"}]})).await;
    let sent = last.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(sent["reasoning_effort"], "low");
    assert!(sent.get("reasoning").is_none());
}
