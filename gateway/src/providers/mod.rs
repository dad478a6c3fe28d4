//! Providers: where a request goes once its model is resolved.
//!
//! A closed enum built from the config, with one `match` per operation: adding a provider kind is one
//! module, one arm here and its tests. Provider code never sees axum types; it takes the gateway's own
//! [`Call`] and returns a [`Reply`] (or a [`GatewayError`]).

pub mod anthropic;
pub mod mock;
mod model_cache;
pub mod openai;
pub mod presets;

use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use crate::error::GatewayError;
use crate::wire::{ChatRequest, CompletionRequest, EmbeddingRequest, RerankRequest};

/// A stream of already framed SSE bytes (`data: …\n\n`). An `Err` item aborts the connection, which is
/// what a client sees when an upstream dies mid-stream without a chance to say so.
pub type SseStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// What a provider answers.
pub enum Reply {
    /// A complete JSON body with status 200, made by the gateway.
    Json(Value),
    /// A complete body from an upstream, passed through with its status and selected headers.
    Passthrough {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    /// A server-sent event stream; its first event has already arrived.
    Stream(SseStream),
}

/// One model a provider serves, as listed by `GET /v1/models`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    pub id: String,
    pub created: i64,
    pub owned_by: String,
}

/// The endpoint a call is for; upstream paths are relative to the provider's base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    ChatCompletions,
    Completions,
    Embeddings,
    Rerank,
    /// OpenAI's Responses API (`/responses`).
    Responses,
    /// Anthropic's Messages API (`/messages`).
    Messages,
    /// Anthropic's token counting (`/messages/count_tokens`).
    CountTokens,
}

impl Endpoint {
    pub const ALL: [Endpoint; 7] = [
        Endpoint::ChatCompletions,
        Endpoint::Completions,
        Endpoint::Embeddings,
        Endpoint::Rerank,
        Endpoint::Responses,
        Endpoint::Messages,
        Endpoint::CountTokens,
    ];

    pub fn upstream_path(self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "chat/completions",
            Endpoint::Completions => "completions",
            Endpoint::Embeddings => "embeddings",
            Endpoint::Rerank => "rerank",
            Endpoint::Responses => "responses",
            Endpoint::Messages => "messages",
            Endpoint::CountTokens => "messages/count_tokens",
        }
    }

    /// Position in [`Endpoint::ALL`], for per-endpoint tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The typed view of a request, one per endpoint.
// One value per request, built once and moved a few times: boxing the chat view would cost an
// allocation per request to save a copy of a few hundred bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Typed {
    Chat(ChatRequest),
    Completion(CompletionRequest),
    Embedding(EmbeddingRequest),
    Rerank(RerankRequest),
    /// A body forwarded as it is to a provider that speaks its API natively (the Responses API to
    /// OpenAI, the Messages API to Anthropic); other providers get a translation instead.
    Native(NativeRequest),
}

/// What the gateway needs to know about a natively forwarded body.
#[derive(Clone)]
pub struct NativeRequest {
    pub endpoint: Endpoint,
    pub model: String,
    pub stream: bool,
}

impl Typed {
    pub fn endpoint(&self) -> Endpoint {
        match self {
            Typed::Chat(_) => Endpoint::ChatCompletions,
            Typed::Completion(_) => Endpoint::Completions,
            Typed::Embedding(_) => Endpoint::Embeddings,
            Typed::Rerank(_) => Endpoint::Rerank,
            Typed::Native(n) => n.endpoint,
        }
    }

    pub fn stream(&self) -> bool {
        match self {
            Typed::Chat(r) => r.stream(),
            Typed::Completion(r) => r.stream(),
            Typed::Native(n) => n.stream,
            Typed::Embedding(_) | Typed::Rerank(_) => false,
        }
    }

    /// The model name the client asked for.
    pub fn model(&self) -> &str {
        match self {
            Typed::Chat(r) => &r.model,
            Typed::Completion(r) => &r.model,
            Typed::Embedding(r) => &r.model,
            Typed::Rerank(r) => &r.model,
            Typed::Native(n) => &n.model,
        }
    }
}

/// One request on its way to a provider.
pub struct Call {
    /// The body as the client sent it, unknown fields included; forwarded as it is when nothing needs
    /// to change, parsed with [`Call::raw`] when something does.
    pub body: Bytes,
    pub typed: Typed,
    /// The model name the provider should see (the client's, minus any `provider:` prefix).
    pub upstream_model: String,
    /// Headers of the client's request that providers may honour (`x-mock-fault`).
    pub client_headers: HeaderMap,
}

impl Call {
    /// The body as a JSON object (it was checked to be one before the call was made).
    pub fn raw(&self) -> Result<Map<String, Value>, GatewayError> {
        crate::wire::parse_object(&self.body)
    }

    /// The model name the client asked for.
    pub fn requested_model(&self) -> &str {
        self.typed.model()
    }

    /// Whether the body carries `stream_options` while not streaming (OpenAI refuses that).
    pub fn has_stray_stream_options(&self) -> bool {
        let present = match &self.typed {
            Typed::Chat(r) => r.stream_options.is_some(),
            Typed::Completion(r) => r.stream_options.is_some(),
            Typed::Embedding(_) | Typed::Rerank(_) | Typed::Native(_) => false,
        };
        present && !self.typed.stream()
    }
}

// One value per configured provider, held in an `Arc`: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Provider {
    Mock(mock::MockProvider),
    OpenAi(openai::OpenAiProvider),
    Anthropic(anthropic::AnthropicProvider),
}

impl Provider {
    pub fn id(&self) -> &str {
        match self {
            Provider::Mock(_) => "mock",
            Provider::OpenAi(p) => p.id(),
            Provider::Anthropic(p) => p.id(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Provider::Mock(_) => "mock",
            Provider::OpenAi(p) => p.kind(),
            Provider::Anthropic(_) => "anthropic",
        }
    }

    /// Whether the provider takes this endpoint's body as it is (no translation needed).
    pub fn speaks(&self, endpoint: Endpoint) -> bool {
        match self {
            Provider::Mock(_) => !matches!(
                endpoint,
                Endpoint::Responses | Endpoint::Messages | Endpoint::CountTokens
            ),
            Provider::OpenAi(p) => p.speaks(endpoint),
            Provider::Anthropic(_) => matches!(
                endpoint,
                Endpoint::ChatCompletions | Endpoint::Messages | Endpoint::CountTokens
            ),
        }
    }

    /// The models this provider is known to serve right now (static, preset or last discovered).
    pub fn models(&self) -> Vec<ModelInfo> {
        match self {
            Provider::Mock(p) => p.models(),
            Provider::OpenAi(p) => p.models(),
            Provider::Anthropic(p) => p.models(),
        }
    }

    pub fn serves(&self, model: &str) -> bool {
        match self {
            Provider::Mock(p) => p.serves(model),
            Provider::OpenAi(p) => p.serves(model),
            Provider::Anthropic(p) => p.serves(model),
        }
    }

    /// Whether the provider discovers its models and has not finished a first discovery.
    pub fn never_discovered(&self) -> bool {
        match self {
            Provider::Mock(_) => false,
            Provider::OpenAi(p) => p.never_discovered(),
            Provider::Anthropic(p) => p.never_discovered(),
        }
    }

    /// Whether a refresh could reveal models the provider does not list yet.
    pub fn discovery_is_stale(&self) -> bool {
        match self {
            Provider::Mock(_) => false,
            Provider::OpenAi(p) => p.discovery_is_stale(),
            Provider::Anthropic(p) => p.discovery_is_stale(),
        }
    }

    /// Checks that the provider answers: its model list, fetched again (the mock always answers).
    pub async fn probe(&self) -> Result<(), String> {
        match self {
            Provider::Mock(_) => Ok(()),
            Provider::OpenAi(p) => p.probe().await,
            Provider::Anthropic(p) => {
                p.refresh_models().await;
                Ok(())
            }
        }
    }

    /// Refreshes the model list from the upstream where the provider discovers it; a no-op otherwise.
    pub async fn refresh_models(&self) {
        match self {
            Provider::Mock(_) => {}
            Provider::OpenAi(p) => p.refresh_models().await,
            Provider::Anthropic(p) => p.refresh_models().await,
        }
    }

    pub async fn call(&self, call: Call) -> Result<Reply, GatewayError> {
        match self {
            Provider::Mock(p) => p.call(call).await,
            Provider::OpenAi(p) => p.call(call).await,
            Provider::Anthropic(p) => p.call(call).await,
        }
    }

    /// A health summary for `/health`.
    pub fn health(&self) -> Value {
        match self {
            Provider::Mock(p) => serde_json::json!({
                "id": "mock", "kind": "mock", "status": "up", "models": p.models().len(),
            }),
            Provider::OpenAi(p) => p.health(),
            Provider::Anthropic(p) => p.health(),
        }
    }
}

/// Requests a gateway sends upstream say how many Switchboard gateways they have crossed, so a provider
/// whose base URL points back at a gateway (this one, or a ring of them) is caught instead of looping.
pub const HOPS_HEADER: &str = "x-switchboard-hops";

/// More crossings than this is a loop.
pub const MAX_HOPS: u32 = 4;

/// How many gateways the request has crossed before this one.
pub fn hops(headers: &HeaderMap) -> u32 {
    headers
        .get(HOPS_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Seconds since the Unix epoch, for `created` fields.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
