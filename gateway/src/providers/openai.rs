//! The OpenAI-compatible upstream provider (kind `openai`): OpenAI itself, vLLM, LM Studio, Ollama's
//! `/v1`, llama.cpp, OpenRouter and every other server that speaks the same wire format.
//!
//! Requests are forwarded with every field the client sent, including ones the gateway does not know;
//! the body bytes are reused untouched when nothing needs to change. Streams are passed through as the
//! upstream's bytes arrive, after the first chunk has been seen (so an early failure is still a normal
//! JSON error). One pooled `reqwest::Client` per provider keeps upstream connections alive, with
//! TCP_NODELAY so small SSE events are not held back by Nagle's algorithm.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use super::{Call, Endpoint, ModelInfo, Reply, SseStream, Typed};
use crate::config::ProviderConfig;
use crate::error::{GatewayError, UpstreamError};

/// Discovered model lists older than this are refreshed when a request names an unknown model.
const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(30);
/// Upper bound for one model discovery request.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Response headers of a successful upstream answer that are worth handing to the client.
const PASSED_HEADERS: &[&str] = &[
    "openai-processing-ms",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
];

pub struct OpenAiProvider {
    cfg: ProviderConfig,
    client: reqwest::Client,
    /// Upstream URLs per endpoint (indexed by `Endpoint::index`), parsed once: URL parsing is
    /// measurable on the hot path.
    urls: Vec<reqwest::Url>,
    discovery: RwLock<Discovery>,
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Discovery {
    models: Vec<ModelInfo>,
    refreshed_at: Option<Instant>,
    last_error: Option<String>,
}

impl OpenAiProvider {
    pub fn new(cfg: ProviderConfig) -> Result<Self, GatewayError> {
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .read_timeout(cfg.timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GatewayError::Internal(format!("cannot build the HTTP client: {e}")))?;
        let url = |path: &str| {
            reqwest::Url::parse(&format!("{}/{path}", cfg.base_url)).map_err(|e| {
                GatewayError::Internal(format!("provider '{}': bad base_url: {e}", cfg.id))
            })
        };
        let urls = Endpoint::ALL
            .iter()
            .map(|e| url(e.upstream_path()))
            .collect::<Result<Vec<_>, _>>()?;
        let models = cfg
            .models
            .iter()
            .map(|id| ModelInfo {
                id: id.clone(),
                created: 0,
                owned_by: cfg.id.clone(),
            })
            .collect();
        Ok(OpenAiProvider {
            discovery: RwLock::new(Discovery {
                models,
                ..Discovery::default()
            }),
            refresh: tokio::sync::Mutex::new(()),
            urls,
            client,
            cfg,
        })
    }

    pub fn id(&self) -> &str {
        &self.cfg.id
    }

    /// The OpenAI surface every compatible server has, plus the Responses API where the config says
    /// the upstream serves it.
    pub fn speaks(&self, endpoint: Endpoint) -> bool {
        match endpoint {
            Endpoint::ChatCompletions
            | Endpoint::Completions
            | Endpoint::Embeddings
            | Endpoint::Rerank => true,
            Endpoint::Responses => self.cfg.responses_api,
            Endpoint::Messages | Endpoint::CountTokens => false,
        }
    }

    fn discovers(&self) -> bool {
        self.cfg.models.is_empty()
    }

    pub fn models(&self) -> Vec<ModelInfo> {
        self.discovery
            .read()
            .map(|d| d.models.clone())
            .unwrap_or_default()
    }

    pub fn serves(&self, model: &str) -> bool {
        self.discovery
            .read()
            .map(|d| d.models.iter().any(|m| m.id == model))
            .unwrap_or(false)
    }

    /// Whether this provider discovers its models and has not finished a first discovery yet.
    pub fn never_discovered(&self) -> bool {
        self.discovers()
            && self
                .discovery
                .read()
                .map(|d| d.refreshed_at.is_none())
                .unwrap_or(true)
    }

    /// Whether a refresh could reveal models this provider does not list yet.
    pub fn discovery_is_stale(&self) -> bool {
        self.discovers()
            && self
                .discovery
                .read()
                .map(|d| {
                    d.refreshed_at
                        .is_none_or(|t| t.elapsed() > DISCOVERY_MAX_AGE)
                })
                .unwrap_or(true)
    }

    /// Checks that the upstream answers, with the cheapest call there is: its model list. A
    /// discovering provider keeps what it learns.
    pub async fn probe(&self) -> Result<(), String> {
        if self.discovers() {
            self.refresh_models().await;
            return match self
                .discovery
                .read()
                .ok()
                .and_then(|d| d.last_error.clone())
            {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
        self.fetch_models().await.map(|_| ())
    }

    /// Asks the upstream for its models (`GET {base}/models`). Concurrent callers share one request.
    pub async fn refresh_models(&self) {
        if !self.discovers() {
            return;
        }
        let started = Instant::now();
        let _guard = self.refresh.lock().await;
        // Someone else refreshed while we waited for the lock.
        if let Ok(d) = self.discovery.read() {
            if d.refreshed_at.is_some_and(|t| t > started) {
                return;
            }
        }
        let result = self.fetch_models().await;
        if let Ok(mut d) = self.discovery.write() {
            d.refreshed_at = Some(Instant::now());
            match result {
                Ok(models) => {
                    d.models = models;
                    d.last_error = None;
                }
                Err(e) => {
                    tracing::warn!(provider = %self.cfg.id, "model discovery failed: {e}");
                    d.last_error = Some(e);
                }
            }
        }
    }

    async fn fetch_models(&self) -> Result<Vec<ModelInfo>, String> {
        let url = format!("{}/models", self.cfg.base_url);
        let request = self
            .authorize(self.client.get(&url))
            .timeout(DISCOVERY_TIMEOUT);
        let response = request.send().await.map_err(|e| describe_reqwest(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("GET {url} answered {status}"));
        }
        let bytes = response.bytes().await.map_err(|e| describe_reqwest(&e))?;
        let body: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("GET {url} did not return a model list: {e}"))?;
        let data = body
            .get("data")
            .or_else(|| body.get("models"))
            .and_then(Value::as_array)
            .ok_or_else(|| format!("GET {url} returned no 'data' array"))?;
        Ok(data
            .iter()
            .filter_map(|m| {
                let id = m.get("id").or_else(|| m.get("name"))?.as_str()?.to_owned();
                Some(ModelInfo {
                    id,
                    created: m.get("created").and_then(Value::as_i64).unwrap_or(0),
                    owned_by: m
                        .get("owned_by")
                        .and_then(Value::as_str)
                        .unwrap_or(&self.cfg.id)
                        .to_owned(),
                })
            })
            .collect())
    }

    pub fn health(&self) -> Value {
        let d = self.discovery.read();
        let (count, error, refreshed) = match &d {
            Ok(d) => (
                d.models.len(),
                d.last_error.clone(),
                d.refreshed_at.is_some(),
            ),
            Err(_) => (0, Some("state unavailable".into()), false),
        };
        let status = match (&error, self.discovers(), refreshed) {
            (Some(_), _, _) => "down",
            (None, true, false) => "unknown",
            (None, false, _) => "configured",
            (None, true, true) => "up",
        };
        json!({
            "id": self.cfg.id, "kind": "openai", "base_url": self.cfg.base_url,
            "status": status, "models": count, "last_error": error,
        })
    }

    fn authorize(&self, mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(key) = &self.cfg.api_key {
            request = request.bearer_auth(key.expose());
        }
        for (name, value) in &self.cfg.headers {
            request = request.header(name.as_str(), value.expose());
        }
        request
    }

    /// The body to send upstream: the client's bytes when nothing changes, else the edited object.
    fn upstream_body(&self, call: &Call) -> Result<Bytes, GatewayError> {
        let model_changes = call.requested_model() != call.upstream_model;
        // `stream_options` without `stream: true` makes OpenAI answer 400; drop it instead.
        let stray_stream_options = call.has_stray_stream_options();
        if !model_changes && !stray_stream_options {
            return Ok(call.body.clone());
        }
        let mut raw = call.raw()?;
        raw.insert("model".into(), Value::String(call.upstream_model.clone()));
        if stray_stream_options {
            raw.remove("stream_options");
        }
        serde_json::to_vec(&raw)
            .map(Bytes::from)
            .map_err(|e| GatewayError::Internal(format!("cannot encode the upstream request: {e}")))
    }

    pub async fn call(&self, call: Call) -> Result<Reply, GatewayError> {
        let endpoint = call.typed.endpoint();
        if !self.speaks(endpoint) {
            return Err(GatewayError::Internal(format!(
                "provider '{}' cannot take /{} requests as they are",
                self.cfg.id,
                endpoint.upstream_path()
            )));
        }
        let url = &self.urls[endpoint.index()];
        let body = self.upstream_body(&call)?;
        let wants_stream = call.typed.stream();
        let mut request = self
            .authorize(self.client.post(url.clone()))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        if matches!(call.typed, Typed::Chat(_) | Typed::Completion(_)) && wants_stream {
            request = request.header(header::ACCEPT, "text/event-stream");
        }
        for (name, value) in &call.client_headers {
            if name.as_str().starts_with("x-mock-") {
                request = request.header(name, value);
            }
        }

        let response = request
            .send()
            .await
            .map_err(|e| self.classify(&e, url.as_str()))?;
        let status = response.status();
        let headers = pick_headers(response.headers(), PASSED_HEADERS);
        if !status.is_success() {
            let error_headers = response.headers().clone();
            let body = response.bytes().await.unwrap_or_default();
            return Err(UpstreamError::Status {
                provider: self.cfg.id.clone(),
                status,
                headers: error_headers,
                body,
            }
            .into());
        }
        let is_sse = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if is_sse {
            return self.stream_through(response, url.as_str()).await;
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| self.classify(&e, url.as_str()))?;
        Ok(Reply::Passthrough {
            status,
            headers,
            body,
        })
    }

    /// Waits for the first chunk, then hands the rest of the upstream's bytes through as they arrive.
    async fn stream_through(
        &self,
        response: reqwest::Response,
        url: &str,
    ) -> Result<Reply, GatewayError> {
        let mut upstream = response.bytes_stream();
        let first = loop {
            match upstream.next().await {
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => break chunk,
                Some(Err(e)) => return Err(self.classify(&e, url)),
                None => {
                    return Err(UpstreamError::Protocol {
                        provider: self.cfg.id.clone(),
                        reason: "the stream ended before its first event".into(),
                    }
                    .into())
                }
            }
        };
        let provider = self.cfg.id.clone();
        let secs = self.cfg.timeout.as_secs_f64();
        // After an upstream failure one error event is sent, then the stream ends.
        let rest = futures_util::stream::unfold(Some(upstream), move |state| {
            let provider = provider.clone();
            async move {
                let mut upstream = state?;
                match upstream.next().await {
                    Some(Ok(chunk)) => Some((Ok(chunk), Some(upstream))),
                    Some(Err(e)) => {
                        let err: GatewayError = if e.is_timeout() {
                            UpstreamError::Timeout { provider, secs }.into()
                        } else {
                            UpstreamError::Protocol {
                                provider,
                                reason: describe_reqwest(&e),
                            }
                            .into()
                        };
                        Some((Ok(crate::sse::error_event(&err)), None))
                    }
                    None => None,
                }
            }
        });
        let stream: SseStream =
            Box::pin(futures_util::stream::once(async move { Ok(first) }).chain(rest));
        Ok(Reply::Stream(stream))
    }

    fn classify(&self, e: &reqwest::Error, url: &str) -> GatewayError {
        let provider = self.cfg.id.clone();
        if e.is_timeout() {
            let limit = if e.is_connect() {
                self.cfg.connect_timeout
            } else {
                self.cfg.timeout
            };
            return UpstreamError::Timeout {
                provider,
                secs: limit.as_secs_f64(),
            }
            .into();
        }
        if e.is_connect() {
            return UpstreamError::Connect {
                provider,
                url: url.to_owned(),
                reason: describe_reqwest(e),
            }
            .into();
        }
        UpstreamError::Protocol {
            provider,
            reason: describe_reqwest(e),
        }
        .into()
    }
}

fn pick_headers(from: &HeaderMap, names: &[&str]) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in names {
        if let Some(v) = from.get(*name) {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(v.as_bytes()),
            ) {
                out.insert(n, v);
            }
        }
    }
    out
}

/// reqwest's error with its causes, without the URL (which may carry credentials in its query).
fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&s.to_string());
        source = s.source();
    }
    if text.is_empty() {
        text = e.without_url_ref().to_string();
    }
    text
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let full = self.to_string();
        match self.url() {
            Some(u) => full.replace(u.as_str(), "<url>"),
            None => full,
        }
    }
}
