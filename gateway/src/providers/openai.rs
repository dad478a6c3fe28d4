//! The OpenAI-compatible upstream provider, one implementation parameterised by kind, base URL, auth
//! and quirks: kind `openai` (OpenAI, vLLM, LM Studio, llama.cpp, OpenRouter and every other server
//! that speaks the wire format), kind `azure` (deployment URLs with `api-version`, or `/openai/v1`;
//! `api-key` header) and kind `ollama` (its `/v1`, with discovery and health from `/api/tags`).
//!
//! Requests are forwarded with every field the client sent, including ones the gateway does not know;
//! the body bytes are reused untouched unless the model name changes or a quirk applies
//! ([`rewrite`]). Streams are passed through as the upstream's bytes arrive, after the first event has
//! been seen (so an early failure is still a normal JSON error); a quirk that edits the stream
//! ([`transform`]) works event by event and leaves other events' bytes alone. One pooled
//! `reqwest::Client` per provider keeps upstream connections alive, with TCP_NODELAY so small SSE
//! events are not held back by Nagle's algorithm.
//!
//! Keys never leave through errors: reqwest's messages are stripped of URLs, URLs shown in errors and
//! `/health` lose any `user:password@`, and an upstream error body that echoes the key gets it masked.

mod discovery;
mod rewrite;
mod transform;
pub(crate) mod upstream;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use super::model_cache::ModelCache;
use super::{Call, Endpoint, ModelInfo, Reply, SseStream, Typed};
use crate::config::{ProviderConfig, ProviderKind, ReasoningField, Secret};
use crate::error::{GatewayError, UpstreamError, RATELIMIT_HEADERS};
use rewrite::Edits;
use transform::{StreamEditor, StreamPlan};
use upstream::Layout;

pub use rewrite::is_openai_reasoning_model;
pub use upstream::client_key;

/// Response headers of a successful upstream answer that are worth handing to the client, besides
/// [`RATELIMIT_HEADERS`].
const PASSED_HEADERS: &[&str] = &["openai-processing-ms"];

pub struct OpenAiProvider {
    cfg: ProviderConfig,
    client: reqwest::Client,
    layout: Layout,
    models: ModelCache,
    /// `base_url` without credentials, for messages and `/health`.
    shown_base: String,
}

impl OpenAiProvider {
    pub fn new(cfg: ProviderConfig) -> Result<Self, GatewayError> {
        let client = upstream::build_client(&cfg)?;
        let layout = Layout::new(&cfg)?;
        if !cfg.quirks.stream_options {
            // Usage is counted with the tokenizer for this upstream: load it off the request path.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn_blocking(super::mock::tokens::warm_up);
            }
        }
        Ok(OpenAiProvider {
            models: ModelCache::new(&cfg),
            shown_base: upstream::display_url(&cfg.base_url),
            layout,
            client,
            cfg,
        })
    }

    pub fn id(&self) -> &str {
        &self.cfg.id
    }

    /// `openai`, `azure` or `ollama`.
    pub fn kind(&self) -> &'static str {
        self.cfg.kind.as_str()
    }

    /// The OpenAI surface every compatible server has (Azure's deployment URLs: chat, completions,
    /// embeddings), plus the Responses API where the config says the upstream serves it.
    pub fn speaks(&self, endpoint: Endpoint) -> bool {
        let api = match endpoint {
            Endpoint::ChatCompletions
            | Endpoint::Completions
            | Endpoint::Embeddings
            | Endpoint::Rerank => true,
            Endpoint::Responses => self.cfg.responses_api,
            Endpoint::Messages | Endpoint::CountTokens => false,
        };
        api && self.layout.serves(endpoint)
    }

    pub fn models(&self) -> Vec<ModelInfo> {
        self.models.list()
    }

    pub fn serves(&self, model: &str) -> bool {
        discovery::contains(&self.models, model, self.cfg.kind == ProviderKind::Ollama)
    }

    /// Whether this provider discovers its models and has not finished a first discovery yet.
    pub fn never_discovered(&self) -> bool {
        self.models.never_discovered()
    }

    /// Whether a refresh could reveal models this provider does not list yet.
    pub fn discovery_is_stale(&self) -> bool {
        self.models.is_stale()
    }

    /// Checks that the upstream answers, with the cheapest call there is: its model list.
    pub async fn probe(&self) -> Result<(), String> {
        self.models
            .probe(discovery::fetch(&self.cfg, &self.client))
            .await
    }

    /// Asks the upstream for its models. Concurrent callers share one request.
    pub async fn refresh_models(&self) {
        self.models
            .refresh(discovery::fetch(&self.cfg, &self.client))
            .await;
    }

    pub fn health(&self) -> Value {
        let (status, count, error) = self.models.health();
        json!({
            "id": self.cfg.id, "kind": self.kind(), "base_url": self.shown_base,
            "status": status, "models": count, "last_error": error,
            "preset": self.cfg.preset,
            "credentials": self.cfg.key_source.to_string(),
            "passthrough": self.cfg.passthrough,
        })
    }

    pub async fn call(&self, call: Call) -> Result<Reply, GatewayError> {
        let endpoint = call.typed.endpoint();
        if !self.speaks(endpoint) {
            return Err(GatewayError::WrongModelKind {
                message: format!(
                    "provider '{}' ({}) does not serve /v1/{}; use a model of another provider",
                    self.cfg.id,
                    self.kind(),
                    endpoint.upstream_path()
                ),
            });
        }
        let url = self
            .layout
            .url(endpoint, &call.upstream_model, &self.cfg.id)?;
        let edits = Edits::plan(&call, &self.cfg.quirks);
        let body = edits.apply(&call)?;
        let key = upstream::request_key(&self.cfg, &call.client_headers)?;
        let wants_stream = call.typed.stream();
        let mut request = upstream::sign(&self.cfg, self.client.post(url.as_ref().clone()), key)
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
        request = request.header(super::HOPS_HEADER, super::hops(&call.client_headers) + 1);
        let shown_url = upstream::display_of(&url);

        let response = request
            .send()
            .await
            .map_err(|e| self.classify(&e, &shown_url))?;
        let status = response.status();
        let headers = pick_headers(
            response.headers(),
            PASSED_HEADERS.iter().chain(RATELIMIT_HEADERS),
        );
        if !status.is_success() {
            let error_headers = response.headers().clone();
            let body = response.bytes().await.unwrap_or_default();
            return Err(UpstreamError::Status {
                provider: self.cfg.id.clone(),
                status,
                headers: error_headers,
                body: mask_secrets(
                    body,
                    key.into_iter()
                        .chain(self.cfg.headers.iter().map(|(_, v)| v.expose())),
                ),
            }
            .into());
        }
        let is_sse = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let alias = self.cfg.quirks.reasoning_field == ReasoningField::Reasoning
            && endpoint == Endpoint::ChatCompletions;
        if is_sse {
            let plan = StreamPlan {
                drop_filter_chunks: self.cfg.kind == ProviderKind::Azure,
                reasoning_alias: alias,
                usage_prompt_tokens: edits
                    .synthesize_usage
                    .then(|| transform::prompt_tokens(&call)),
                object: match call.typed {
                    Typed::Completion(_) => "text_completion",
                    _ => "chat.completion.chunk",
                },
            };
            return self.stream_through(response, &shown_url, plan).await;
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| self.classify(&e, &shown_url))?;
        let body = match alias.then(|| transform::alias_json(&body)).flatten() {
            Some(edited) => edited,
            None => body,
        };
        Ok(Reply::Passthrough {
            status,
            headers,
            body,
        })
    }

    /// Waits for the first event to forward, then hands the rest through as it arrives (edited by
    /// `plan` where it applies, else byte for byte).
    async fn stream_through(
        &self,
        response: reqwest::Response,
        url: &str,
        plan: StreamPlan,
    ) -> Result<Reply, GatewayError> {
        let mut upstream = response.bytes_stream();
        let mut editor = plan.is_active().then(|| StreamEditor::new(plan));
        let first = loop {
            match upstream.next().await {
                Some(Ok(chunk)) => {
                    let out = match &mut editor {
                        Some(e) => e.push(&chunk),
                        None => chunk,
                    };
                    if !out.is_empty() {
                        break out;
                    }
                }
                Some(Err(e)) => return Err(self.classify(&e, url)),
                None => {
                    let rest = editor
                        .as_mut()
                        .map(StreamEditor::finish)
                        .unwrap_or_default();
                    if !rest.is_empty() {
                        break rest;
                    }
                    return Err(UpstreamError::Protocol {
                        provider: self.cfg.id.clone(),
                        reason: "the stream ended before its first event".into(),
                    }
                    .into());
                }
            }
        };
        let provider = self.cfg.id.clone();
        let secs = self.cfg.timeout.as_secs_f64();
        // After an upstream failure one error event is sent, then the stream ends.
        let rest = futures_util::stream::unfold(Some((upstream, editor)), move |state| {
            let provider = provider.clone();
            async move {
                let (mut upstream, mut editor) = state?;
                loop {
                    match upstream.next().await {
                        Some(Ok(chunk)) => {
                            let out = match &mut editor {
                                Some(e) => e.push(&chunk),
                                None => chunk,
                            };
                            if !out.is_empty() {
                                return Some((Ok(out), Some((upstream, editor))));
                            }
                        }
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
                            return Some((Ok(crate::sse::error_event(&err)), None));
                        }
                        None => {
                            let rest = editor.as_mut().map(StreamEditor::finish)?;
                            return (!rest.is_empty()).then_some((Ok(rest), None));
                        }
                    }
                }
            }
        });
        let stream: SseStream =
            Box::pin(futures_util::stream::once(async move { Ok(first) }).chain(rest));
        Ok(Reply::Stream(stream))
    }

    fn classify(&self, e: &reqwest::Error, url: &str) -> GatewayError {
        upstream::classify(&self.cfg, e, url)
    }
}

/// An upstream error body with the secrets that were sent (the key, configured header values)
/// replaced by their masked form, in case the upstream echoes them. Short values are left alone:
/// masking them would garble unrelated text.
fn mask_secrets<'a>(mut body: Bytes, secrets: impl IntoIterator<Item = &'a str>) -> Bytes {
    for secret in secrets {
        let needle = secret.as_bytes();
        if needle.len() < 8 || !body.windows(needle.len()).any(|w| w == needle) {
            continue;
        }
        let text = String::from_utf8_lossy(&body).replace(secret, &Secret::new(secret).masked());
        body = Bytes::from(text);
    }
    body
}

fn pick_headers<'a>(from: &HeaderMap, names: impl IntoIterator<Item = &'a &'a str>) -> HeaderMap {
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
pub(crate) fn describe_reqwest(e: &reqwest::Error) -> String {
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
        let full = e.to_string();
        text = match e.url() {
            Some(u) => full.replace(u.as_str(), "<url>"),
            None => full,
        };
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_keys_are_masked_in_error_bodies() {
        let body = Bytes::from_static(
            b"{\"error\":{\"message\":\"Incorrect API key provided: sk-abcdefghijkl\"}}",
        );
        let out = mask_secrets(body, ["sk-abcdefghijkl"]);
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("sk-abcdefghijkl"), "{text}");
        assert!(text.contains("sk-…ijkl"), "{text}");
        let short = Bytes::from_static(b"abc abc");
        assert_eq!(mask_secrets(short.clone(), ["abc"]), short);
    }
}
