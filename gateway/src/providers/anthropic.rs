//! The Anthropic provider (kind `anthropic`): Anthropic's Messages API, and any server that speaks it.
//!
//! - Chat completions are translated to the Messages API and back ([`crate::translate`]): the body by
//!   `anthropic_out`, whole answers by `anthropic_reply`, event streams by `anthropic_chunks` (each
//!   `tool_use` block becomes a tool-call delta with its own 0-based index; usage arrives in the last
//!   chunk when the client asked for it). Upstream errors keep their status and come back in the OpenAI
//!   envelope, with Anthropic's error type as the `code`.
//! - `/v1/messages` and `/v1/messages/count_tokens` bodies are forwarded as they are
//!   ([`Typed::Native`]), with the client's `anthropic-version` and `anthropic-beta` headers; the answer,
//!   stream or error, comes back byte for byte.
//! - Models are the configured list, or discovered with `GET /v1/models`.
//!
//! `base_url` is written the way the Anthropic SDKs take `ANTHROPIC_BASE_URL` (`https://api.anthropic.com`,
//! or a compatible server's root such as `https://api.deepseek.com/anthropic`); a URL that already ends
//! in `/v1` works too. Requests go to `{root}/v1/messages`. Auth is `x-api-key` with the provider's key
//! (or the client's own key with `passthrough`) and `anthropic-version: 2023-06-01` unless the client
//! sent its own. The HTTP client (pool, proxies, extra CAs) and the signing are the OpenAI provider's.

mod models;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::{json, Value};

use super::model_cache::ModelCache;
use super::openai::upstream;
use super::{Call, Endpoint, ModelInfo, Reply, SseStream, Typed};
use crate::config::ProviderConfig;
use crate::error::{GatewayError, UpstreamError};
use crate::translate::anthropic_chunks::AnthropicToChat;
use crate::translate::{anthropic_out, anthropic_reply, stream::translate};

/// The API version sent when the client did not name one.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Upstream response headers worth handing to the client.
const PASSED_HEADERS: &[&str] = &[
    "request-id",
    "retry-after",
    "anthropic-ratelimit-requests-limit",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-limit",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-tokens-reset",
];

pub struct AnthropicProvider {
    cfg: ProviderConfig,
    client: reqwest::Client,
    /// `{root}/v1`, without a trailing slash.
    api: String,
    messages_url: reqwest::Url,
    count_url: reqwest::Url,
    models: ModelCache,
}

/// `{base}/v1` unless `base` already ends in `/v1`.
pub fn api_root(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    if base.ends_with("/v1") {
        base.to_owned()
    } else {
        format!("{base}/v1")
    }
}

impl AnthropicProvider {
    pub fn new(cfg: ProviderConfig) -> Result<Self, GatewayError> {
        let client = upstream::build_client(&cfg)?;
        let api = api_root(&cfg.base_url);
        let url = |path: &str| {
            reqwest::Url::parse(&format!("{api}/{path}")).map_err(|e| {
                GatewayError::Internal(format!("provider '{}': bad base_url: {e}", cfg.id))
            })
        };
        let messages_url = url(Endpoint::Messages.upstream_path())?;
        let count_url = url(Endpoint::CountTokens.upstream_path())?;
        Ok(AnthropicProvider {
            models: ModelCache::new(&cfg),
            messages_url,
            count_url,
            api,
            client,
            cfg,
        })
    }

    pub fn id(&self) -> &str {
        &self.cfg.id
    }

    pub fn models(&self) -> Vec<ModelInfo> {
        self.models.list()
    }

    pub fn serves(&self, model: &str) -> bool {
        self.models.contains(model)
    }

    pub fn never_discovered(&self) -> bool {
        self.models.never_discovered()
    }

    pub fn discovery_is_stale(&self) -> bool {
        self.models.is_stale()
    }

    /// Refreshes the model list (`GET {root}/v1/models`) with the provider's own key; a pass-through
    /// provider without one asks unsigned.
    pub async fn refresh_models(&self) {
        let url = format!("{}/models", self.api);
        let shown = upstream::display_url(&url);
        let key = self.cfg.api_key.as_ref().map(|k| k.expose());
        let no_headers = HeaderMap::new();
        let page = |after: Option<&str>| {
            let get = match reqwest::Url::parse(&url) {
                Ok(mut u) => {
                    u.query_pairs_mut().append_pair("limit", "1000");
                    if let Some(after) = after {
                        u.query_pairs_mut().append_pair("after_id", after);
                    }
                    self.client.get(u)
                }
                // Sending reports the bad URL as the provider's error.
                Err(_) => self.client.get(&url),
            };
            self.versioned(upstream::sign(&self.cfg, get, key), &no_headers, false)
        };
        self.models
            .refresh(models::fetch(&self.cfg, page, &shown))
            .await;
    }

    pub fn health(&self) -> Value {
        let (status, count, error) = self.models.health();
        json!({
            "id": self.cfg.id, "kind": "anthropic",
            "base_url": upstream::display_url(&self.cfg.base_url),
            "status": status, "models": count, "last_error": error,
            "preset": self.cfg.preset,
            "credentials": self.cfg.key_source.to_string(),
            "passthrough": self.cfg.passthrough,
        })
    }

    /// The version headers; on the native path the client's `anthropic-version` and `anthropic-beta`
    /// are honoured.
    fn versioned(
        &self,
        mut request: reqwest::RequestBuilder,
        client: &HeaderMap,
        native: bool,
    ) -> reqwest::RequestBuilder {
        let version = client
            .get("anthropic-version")
            .filter(|_| native)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(ANTHROPIC_VERSION);
        request = request.header("anthropic-version", version);
        if native {
            if let Some(beta) = client.get("anthropic-beta") {
                request = request.header("anthropic-beta", beta.clone());
            }
        }
        request
    }

    pub async fn call(&self, call: Call) -> Result<Reply, GatewayError> {
        match &call.typed {
            Typed::Native(n) if matches!(n.endpoint, Endpoint::Messages | Endpoint::CountTokens) => {
                let (endpoint, stream) = (n.endpoint, n.stream);
                self.native(call, endpoint, stream).await
            }
            Typed::Chat(_) => self.chat(call).await,
            other => Err(GatewayError::WrongModelKind {
                message: format!(
                    "provider '{}' speaks Anthropic's Messages API: it serves /v1/chat/completions and /v1/messages, not /v1/{}",
                    self.cfg.id,
                    other.endpoint().upstream_path()
                ),
            }),
        }
    }

    async fn send(
        &self,
        url: &reqwest::Url,
        body: Bytes,
        client: &HeaderMap,
        native: bool,
        stream: bool,
    ) -> Result<reqwest::Response, GatewayError> {
        // The provider's key, or the client's own with pass-through (`x-api-key` unless `auth` says
        // otherwise).
        let key = upstream::request_key(&self.cfg, client)?;
        let signed = upstream::sign(&self.cfg, self.client.post(url.clone()), key);
        let mut request = self
            .versioned(signed, client, native)
            .header(header::CONTENT_TYPE, "application/json")
            .header(super::HOPS_HEADER, super::hops(client) + 1)
            .body(body);
        if stream {
            request = request.header(header::ACCEPT, "text/event-stream");
        }
        request
            .send()
            .await
            .map_err(|e| self.classify(&e, url.as_str()))
    }

    /// `/v1/messages` and `count_tokens` as they are: only the model name may change.
    async fn native(
        &self,
        call: Call,
        endpoint: Endpoint,
        stream: bool,
    ) -> Result<Reply, GatewayError> {
        let url = match endpoint {
            Endpoint::CountTokens => &self.count_url,
            _ => &self.messages_url,
        };
        let body = if call.requested_model() == call.upstream_model {
            call.body.clone()
        } else {
            let mut raw = call.raw()?;
            raw.insert("model".into(), Value::String(call.upstream_model.clone()));
            Bytes::from(serde_json::to_vec(&raw).map_err(|e| {
                GatewayError::Internal(format!("cannot encode the upstream request: {e}"))
            })?)
        };
        let response = self
            .send(url, body, &call.client_headers, true, stream)
            .await?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let body = response.bytes().await.unwrap_or_default();
            return Err(self.status_error(status, headers, body));
        }
        let headers = pick_headers(response.headers());
        if is_sse(&response) {
            let source = self.byte_stream(response);
            return Ok(Reply::Stream(
                self.first_then_rest(source, url.as_str()).await?,
            ));
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

    /// A chat completion through the Messages API.
    async fn chat(&self, call: Call) -> Result<Reply, GatewayError> {
        let raw = call.raw()?;
        let plan = anthropic_out::from_chat(&raw, &call.upstream_model)?;
        let stream = call.typed.stream();
        let include_usage = raw
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let body = Bytes::from(serde_json::to_vec(&plan.body).map_err(|e| {
            GatewayError::Internal(format!("cannot encode the upstream request: {e}"))
        })?);
        let url = &self.messages_url;
        let response = self
            .send(url, body, &call.client_headers, false, stream)
            .await?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let body = response.bytes().await.unwrap_or_default();
            let body =
                anthropic_reply::openai_error_from_anthropic(&self.cfg.id, status.as_u16(), &body);
            return Err(self.status_error(status, headers, Bytes::from(body.to_string())));
        }
        if is_sse(&response) {
            let translator = AnthropicToChat::new(super::unix_now(), include_usage, plan.json_tool);
            let chunks = translate(self.byte_stream(response), translator);
            return Ok(Reply::Stream(
                self.first_then_rest(chunks, url.as_str()).await?,
            ));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| self.classify(&e, url.as_str()))?;
        let message: Value =
            serde_json::from_slice(&body).map_err(|e| UpstreamError::Protocol {
                provider: self.cfg.id.clone(),
                reason: format!("the answer is not an Anthropic message: {e}"),
            })?;
        Ok(Reply::Json(anthropic_reply::message_to_chat(
            &message,
            super::unix_now(),
            plan.json_tool,
        )))
    }

    fn status_error(&self, status: StatusCode, headers: HeaderMap, body: Bytes) -> GatewayError {
        UpstreamError::Status {
            provider: self.cfg.id.clone(),
            status,
            headers,
            body,
        }
        .into()
    }

    /// The upstream's bytes; a failure after the start becomes one Anthropic `error` event, so both
    /// the native path and the translation end the stream with a message instead of a silent cut.
    fn byte_stream(&self, response: reqwest::Response) -> SseStream {
        let provider = self.cfg.id.clone();
        let upstream = response.bytes_stream();
        Box::pin(futures_util::stream::unfold(Some(upstream), move |state| {
            let provider = provider.clone();
            async move {
                let mut upstream = state?;
                match upstream.next().await {
                    Some(Ok(chunk)) => Some((Ok(chunk), Some(upstream))),
                    Some(Err(e)) => {
                        let message = format!(
                            "provider '{provider}' broke the connection: {}",
                            describe(&e)
                        );
                        let event = json!({
                            "type": "error",
                            "error": { "type": "api_error", "message": message },
                        });
                        let text = format!("\n\nevent: error\ndata: {event}\n\n");
                        Some((Ok(Bytes::from(text)), None))
                    }
                    None => None,
                }
            }
        }))
    }

    /// Waits for the first non-empty chunk before the stream is committed, so an early failure is
    /// still an HTTP error; an error event in that first chunk is turned into one.
    async fn first_then_rest(
        &self,
        mut stream: SseStream,
        url: &str,
    ) -> Result<SseStream, GatewayError> {
        let first = loop {
            match stream.next().await {
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => break chunk,
                Some(Err(e)) => {
                    return Err(UpstreamError::Protocol {
                        provider: self.cfg.id.clone(),
                        reason: e.to_string(),
                    }
                    .into())
                }
                None => {
                    return Err(UpstreamError::Protocol {
                        provider: self.cfg.id.clone(),
                        reason: format!("the stream from {url} ended before its first event"),
                    }
                    .into())
                }
            }
        };
        if let Some(err) = early_error(&first) {
            // Chat-shaped errors name Anthropic's type as `code`; native ones as `type`.
            let kind = err["error"]["code"]
                .as_str()
                .or(err["error"]["type"].as_str());
            let status = match kind {
                Some("overloaded_error") => {
                    StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
                }
                Some("rate_limit_error") => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::BAD_GATEWAY,
            };
            return Err(self.status_error(status, HeaderMap::new(), Bytes::from(err.to_string())));
        }
        Ok(Box::pin(
            futures_util::stream::once(async move { Ok(first) }).chain(stream),
        ))
    }

    fn classify(&self, e: &reqwest::Error, url: &str) -> GatewayError {
        upstream::classify(&self.cfg, e, url)
    }
}

/// The error body when a stream's first chunk is an error (chat `data: {"error":…}` or Anthropic
/// `event: error`), as the client should see it.
fn early_error(first: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(first).ok()?.trim_start();
    let data = if let Some(rest) = text.strip_prefix("event: error\ndata: ") {
        rest
    } else {
        text.strip_prefix("data: {\"error\"").map(|_| &text[6..])?
    };
    let json = data.lines().next()?;
    serde_json::from_str(json).ok()
}

fn is_sse(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

fn pick_headers(from: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in PASSED_HEADERS {
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

/// reqwest's error with its causes, without the URL: one description for every provider kind.
pub(crate) use super::openai::describe_reqwest as describe;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_with_or_without_v1_reach_the_same_api() {
        assert_eq!(
            api_root("https://api.anthropic.com"),
            "https://api.anthropic.com/v1"
        );
        assert_eq!(
            api_root("https://api.anthropic.com/v1/"),
            "https://api.anthropic.com/v1"
        );
        assert_eq!(
            api_root("https://api.deepseek.com/anthropic"),
            "https://api.deepseek.com/anthropic/v1"
        );
    }

    #[test]
    fn an_error_as_the_first_event_is_recognised() {
        let anthropic = b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        assert_eq!(
            early_error(anthropic).map(|v| v["error"]["type"].clone()),
            Some(json!("overloaded_error"))
        );
        let chat = b"data: {\"error\":{\"message\":\"x\",\"type\":\"upstream_error\",\"param\":null,\"code\":\"overloaded_error\"}}\n\n";
        assert_eq!(
            early_error(chat).map(|v| v["error"]["message"].clone()),
            Some(json!("x"))
        );
        assert!(early_error(b"event: message_start\ndata: {}\n\n").is_none());
    }
}
