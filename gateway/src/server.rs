//! The HTTP surface: one [`router`] shared by the binary and the tests, thin handlers, and the
//! middleware that keeps the gateway safe by default (Host check against DNS rebinding, CORS limited to
//! local web pages unless configured otherwise).
//!
//! Handlers only extract, call into routing and providers, and map the result; the OpenAI envelope for
//! errors comes from [`GatewayError`]'s `IntoResponse`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::ServerConfig;
use crate::error::{GatewayError, RATELIMIT_HEADERS};
use crate::keys::KeyStore;
use crate::providers::{ModelInfo, Reply, Typed};
use crate::reload::{ConfigSource, Live};
use crate::wire::{self, ChatRequest, CompletionRequest, EmbeddingRequest, RerankRequest};

/// Shared state of a running gateway.
pub struct AppState {
    /// Providers, routes and config: replaced as a whole when the config changes.
    pub live: arc_swap::ArcSwap<Live>,
    /// The listening side of the config, fixed for the life of the server.
    pub server: ServerConfig,
    pub keys: KeyStore,
    pub source: ConfigSource,
    pub started: Instant,
    /// Request records on their way to the log, metrics, the live tail.
    pub recorder: Arc<crate::observe::Recorder>,
    /// The request log (SQLite in the data directory), when there is one.
    pub log_store: Option<Arc<crate::observe::store::SqliteStore>>,
    /// Provider states and circuit breakers, fed by probes and real traffic.
    pub health: Arc<crate::observe::health::HealthBoard>,
    pub system: Arc<crate::observe::system::SystemMonitor>,
    /// Turns true when the gateway shuts down, so long-lived streams (tails) end instead of holding
    /// the graceful shutdown until its deadline.
    pub closing: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    /// Resolves when the gateway starts shutting down.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.closing.subscribe();
        async move {
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }

    /// Like [`AppState::closed`], for a shared state handle.
    pub fn closed_owned(self: Arc<Self>) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.closed()
    }

    /// The current providers and config; a request keeps the snapshot it started with.
    pub fn live(&self) -> Arc<Live> {
        self.live.load_full()
    }
}

/// Request headers a browser client of an OpenAI-compatible API sends (the official SDKs, Open WebUI's
/// direct connections, the Anthropic SDK in a page).
const CORS_ALLOWED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "accept",
    "user-agent",
    "x-requested-with",
    "openai-beta",
    "openai-organization",
    "openai-project",
    "x-stainless-arch",
    "x-stainless-async",
    "x-stainless-custom-poll-interval",
    "x-stainless-helper-method",
    "x-stainless-lang",
    "x-stainless-os",
    "x-stainless-package-version",
    "x-stainless-poll-helper",
    "x-stainless-retry-count",
    "x-stainless-runtime",
    "x-stainless-runtime-version",
    "x-stainless-timeout",
    "x-stainless-read-timeout",
    "x-stainless-raw-response",
    "api-key",
    "x-api-key",
    "anthropic-version",
    "anthropic-beta",
    "anthropic-dangerous-direct-browser-access",
    "x-mock-fault",
];

/// Response headers a browser page may read, besides [`RATELIMIT_HEADERS`].
const CORS_EXPOSED_HEADERS: &[&str] = &[
    "x-request-id",
    "retry-after",
    "retry-after-ms",
    "openai-processing-ms",
];

/// The whole HTTP application.
pub fn router(state: Arc<AppState>) -> Router {
    let cors = cors_layer(&state.server);
    let v1 = Router::new()
        .route("/models", get(list_models))
        .route("/models/{*id}", get(get_model))
        .route("/chat/completions", post(chat_completions))
        .route("/completions", post(completions))
        .route("/embeddings", post(embeddings))
        .route("/rerank", post(rerank))
        .merge(crate::front_doors::v1_routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_key,
        ))
        .layer(cors.clone());
    // Cohere/Jina clients post to `/rerank` without the `/v1` prefix.
    let bare_rerank = Router::new()
        .route("/rerank", post(rerank))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_key,
        ))
        .layer(cors);
    Router::new()
        .nest("/v1", v1)
        .nest(
            "/admin/logs",
            crate::admin_logs::routes().layer(middleware::from_fn_with_state(
                state.clone(),
                crate::auth::admin_guard,
            )),
        )
        .nest("/admin", crate::admin::routes(state.clone()))
        .merge(bare_rerank)
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/", get(root).head(|| async { StatusCode::OK }))
        .route("/ui", get(crate::ui_assets::redirect))
        .route("/ui/", get(crate::ui_assets::index))
        .route("/ui/{*path}", get(crate::ui_assets::asset))
        .fallback(route_not_found)
        .layer(middleware::from_fn_with_state(state.clone(), front_door))
        .with_state(state)
}

fn cors_layer(server: &ServerConfig) -> CorsLayer {
    let configured: Vec<String> = server
        .cors_origins
        .iter()
        .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
        .collect();
    let any = configured.iter().any(|o| o == "*");
    let origin = AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.to_ascii_lowercase();
        any || is_loopback_origin(&origin) || configured.contains(&origin)
    });
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(
            CORS_ALLOWED_HEADERS
                .iter()
                .map(|h| header::HeaderName::from_static(h))
                .collect::<Vec<_>>(),
        )
        .expose_headers(
            CORS_EXPOSED_HEADERS
                .iter()
                .chain(RATELIMIT_HEADERS)
                .map(|h| header::HeaderName::from_static(h))
                .collect::<Vec<_>>(),
        )
        .allow_private_network(true)
        .max_age(Duration::from_secs(600))
}

/// `http://localhost:3000`, `http://127.0.0.1:8080`, `http://[::1]` …: pages served from this machine.
fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    is_loopback_host(strip_port(rest))
}

/// The host part of a `Host` header or origin authority, without the port.
fn strip_port(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    }
}

pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Every request passes here first, in one middleware (each layer costs on the hot path):
/// - the Host check: requests whose `Host` is not this machine are refused, so a web page on a
///   rebinding domain cannot reach the gateway through the user's browser (a gateway bound to a
///   non-loopback address accepts the names it is reached by; access there is controlled by keys);
/// - axum's empty 405 gets the OpenAI envelope (a `method_not_allowed_fallback` would bypass the CORS
///   layer, which must answer preflights first);
/// - every response gets an `x-request-id`, and one log line is written.
async fn front_door(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    let refused = host.and_then(|host| {
        let name = strip_port(host).to_ascii_lowercase();
        let allowed = is_loopback_host(&name)
            || !state.server.host.is_loopback()
            || state
                .server
                .allowed_hosts
                .iter()
                .any(|h| h == "*" || *h == name || h.eq_ignore_ascii_case(host));
        (!allowed).then_some(name)
    });
    let started_at = unix_millis();
    let id = crate::observe::new_request_id(started_at);
    // Model API requests get a record in the request log; the dashboard's own calls do not.
    let recorded = uri.path().starts_with("/v1/") || uri.path() == "/rerank";
    let ctx = recorded.then(|| {
        let record = crate::observe::RequestRecord {
            id: id.clone(),
            started_at,
            client: crate::observe::client::identify(request.headers()),
            method: method.to_string(),
            endpoint: uri.path().to_owned(),
            bytes_in: request
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            ..Default::default()
        };
        state.recorder.metrics.in_flight_start();
        crate::observe::RequestCtx::new(record, state.recorder.settings())
    });
    let mut response = match (refused, &ctx) {
        (Some(name), _) => {
            tracing::warn!(host = %name, path = %uri.path(), "refused a request for a foreign host name");
            GatewayError::HostNotAllowed(name).into_response()
        }
        (None, Some(ctx)) => ctx.clone().scope(next.run(request)).await,
        (None, None) => next.run(request).await,
    };
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        let allow = response.headers().get(header::ALLOW).cloned();
        response = GatewayError::MethodNotAllowed {
            method: method.to_string(),
            path: uri.path().to_owned(),
        }
        .into_response();
        if let Some(allow) = allow {
            response.headers_mut().insert(header::ALLOW, allow);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    if let Some(ctx) = ctx {
        let status = response.status().as_u16();
        let error = response
            .extensions()
            .get::<crate::error::ErrorInfo>()
            .cloned();
        ctx.update(|p| {
            p.record.status = status;
            if let Some(e) = error {
                p.record.error_type = Some(e.kind.to_owned());
                p.record.error_message = Some(e.message);
            }
        });
        let keep = state.recorder.settings().max_body_bytes;
        let (parts, body) = response.into_parts();
        let observed =
            crate::observe::body::ObservedBody::new(body, ctx, state.recorder.clone(), keep);
        response = Response::from_parts(parts, Body::new(observed));
    }
    tracing::info!(
        target: "switchboard::access",
        request_id = %id, %method, path = %uri.path(), status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

fn unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn route_not_found(method: Method, uri: axum::http::Uri) -> GatewayError {
    GatewayError::RouteNotFound {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

/// `GET /` leads a person to the dashboard.
async fn root() -> axum::response::Redirect {
    axum::response::Redirect::temporary("/ui/")
}

/// An IP as it appears in a URL (`[::1]` for IPv6).
pub fn display_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut r = state.recorder.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(health_snapshot(&state))
}

/// The gateway's state and each provider's, as `/health` shows it.
pub fn health_snapshot(state: &AppState) -> Value {
    let live = state.live();
    let providers: Vec<Value> = live
        .registry
        .providers()
        .iter()
        .map(|p| {
            let mut h = p.health();
            if let (Some(board), Some(obj)) = (state.health.describe(p.id()), h.as_object_mut()) {
                if let Some(fields) = board.as_object() {
                    for (k, v) in fields {
                        obj.insert(k.clone(), v.clone());
                    }
                }
            }
            h
        })
        .collect();
    let degraded = providers
        .iter()
        .any(|p| p["status"] == "down" || p["status"] == "degraded");
    json!({
        "status": if degraded { "degraded" } else { "ok" },
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_secs": state.started.elapsed().as_secs(),
        "providers": providers,
        "config_error": state.source.last_error(),
        "log_dropped": state.recorder.dropped(),
        "keys_required": !state.keys.is_empty(),
    })
}

fn model_object(m: &ModelInfo) -> Value {
    json!({ "id": m.id, "object": "model", "created": m.created, "owned_by": m.owned_by })
}

async fn list_models(State(state): State<Arc<AppState>>) -> Json<Value> {
    let live = state.live();
    live.registry.refresh_for_listing().await;
    let data: Vec<Value> = live.registry.models().iter().map(model_object).collect();
    Json(json!({ "object": "list", "data": data }))
}

async fn get_model(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    let live = state.live();
    live.registry.refresh_for_listing().await;
    if let Some(m) = live.registry.models().iter().find(|m| m.id == id) {
        return Ok(Json(model_object(m)));
    }
    // `provider:model` names are routable without being listed.
    let target = live.registry.resolve(&id).await?;
    Ok(Json(
        json!({ "id": id, "object": "model", "created": 0, "owned_by": target.provider.id() }),
    ))
}

/// Reads the body within the configured limit.
pub(crate) async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<bytes::Bytes, GatewayError> {
    let limit = state.server.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(GatewayError::PayloadTooLarge { limit });
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            GatewayError::PayloadTooLarge { limit }
        } else {
            GatewayError::invalid(format!("could not read the request body: {e}"), None)
        }
    })
}

/// The shared path of every model endpoint: read, parse, validate, resolve, call, answer.
async fn serve(
    state: Arc<AppState>,
    headers: HeaderMap,
    body: Body,
    view: fn(&[u8]) -> Result<Typed, GatewayError>,
) -> Result<Response, GatewayError> {
    let body = read_body(&state, &headers, body).await?;
    let typed = view(&body)?;
    let reply = crate::dispatch::dispatch(&state, headers, body, typed).await?;
    Ok(into_response(reply))
}

pub(crate) fn into_response(reply: Reply) -> Response {
    match reply {
        Reply::Json(value) => {
            let mut r = (StatusCode::OK, value.to_string()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Reply::Passthrough {
            status,
            headers,
            body,
        } => {
            let mut r = (status, body).into_response();
            r.headers_mut().extend(headers);
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Reply::Stream(stream) => {
            let mut r = Response::new(Body::from_stream(stream));
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            h.insert("x-accel-buffering", HeaderValue::from_static("no"));
            r
        }
    }
}

async fn chat_completions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let body = crate::front_doors::responses_shaped_chat(&state, &headers, body).await?;
    serve(state, headers, body, |raw| {
        let r: ChatRequest = wire::typed(raw)?;
        r.validate()?;
        Ok(Typed::Chat(r))
    })
    .await
}

async fn completions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    serve(state, headers, body, |raw| {
        let r: CompletionRequest = wire::typed(raw)?;
        r.validate()?;
        Ok(Typed::Completion(r))
    })
    .await
}

async fn embeddings(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    serve(state, headers, body, |raw| {
        let r: EmbeddingRequest = wire::typed(raw)?;
        r.validate()?;
        Ok(Typed::Embedding(r))
    })
    .await
}

async fn rerank(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    serve(state, headers, body, |raw| {
        Ok(Typed::Rerank(wire::typed::<RerankRequest>(raw)?))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_origins() {
        for h in [
            "localhost",
            "127.0.0.1",
            "::1",
            "app.localhost",
            "LOCALHOST.",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["example.com", "192.168.1.2", "localhost.evil.com"] {
            assert!(!is_loopback_host(h), "{h}");
        }
        assert_eq!(strip_port("[::1]:4242"), "::1");
        assert_eq!(strip_port("localhost:4242"), "localhost");
        assert!(is_loopback_origin("http://localhost:3000"));
        assert!(!is_loopback_origin("https://evil.example"));
        assert!(!is_loopback_origin("null"));
    }
}
