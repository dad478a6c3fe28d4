//! The built-in mock provider: a first-class provider that answers every endpoint offline, with no
//! configuration, deterministically. It is the default for a fresh install and a testing tool in its
//! own right (what people run OpenAI mock servers for).
//!
//! - `chat`: chat completions, reasoning, tool calls, structured output, streaming;
//! - `completions`: legacy text completions;
//! - `retrieval`: embeddings and rerank;
//! - `schema`: values that validate against a JSON schema (tool arguments, `json_schema` output);
//! - `tokens`, `text`, `embed`: the tokenizer, the reply text, the vector math.
//!
//! Faults are injected with the request header `x-mock-fault` (`429`, `500`, `503`, `timeout`,
//! `disconnect`) or a per-model `error_rate`.

mod chat;
mod completions;
pub mod embed;
mod logprobs;
mod retrieval;
pub mod schema;
pub mod text;
pub mod tokens;

use std::sync::RwLock;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, StatusCode};
use serde::Serialize;

use super::{Call, ModelInfo, Reply, SseStream, Typed};
use crate::config::{MockConfig, MockModelConfig, MockModelKind};
use crate::error::GatewayError;

/// How long a `timeout` fault hangs before giving up with 504 (clients normally time out first).
const TIMEOUT_FAULT_HANG: Duration = Duration::from_secs(600);

pub struct MockProvider {
    models: RwLock<Vec<MockModelConfig>>,
    /// Ids of models loaded at run time (admin API), carried over when the config is reloaded.
    loaded: RwLock<Vec<String>>,
    defaults: MockConfig,
}

/// One event of a mock stream; `paced` events wait for the next token slot.
pub struct Frame {
    bytes: Bytes,
    paced: bool,
}

impl Frame {
    fn token<T: Serialize>(value: &T) -> Frame {
        Frame {
            bytes: crate::sse::data_event(value),
            paced: true,
        }
    }
    fn instant<T: Serialize>(value: &T) -> Frame {
        Frame {
            bytes: crate::sse::data_event(value),
            paced: false,
        }
    }
}

/// A fault requested with `x-mock-fault`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    RateLimited,
    ServerError,
    Unavailable,
    Timeout,
    Disconnect,
}

impl Fault {
    fn from_headers(headers: &HeaderMap) -> Result<Option<Fault>, GatewayError> {
        let Some(value) = headers.get("x-mock-fault") else {
            return Ok(None);
        };
        let text = value.to_str().unwrap_or("").trim().to_ascii_lowercase();
        Ok(Some(match text.as_str() {
            "429" | "rate_limit" | "rate-limit" => Fault::RateLimited,
            "500" | "error" => Fault::ServerError,
            "503" | "unavailable" | "overloaded" => Fault::Unavailable,
            "timeout" => Fault::Timeout,
            "disconnect" | "disconnect-mid-stream" | "disconnect_mid_stream" => Fault::Disconnect,
            _ => {
                return Err(GatewayError::invalid(
                    format!(
                    "unknown x-mock-fault '{text}'; use one of 429, 500, 503, timeout, disconnect"
                ),
                    None,
                ))
            }
        }))
    }
}

/// A unique id with an OpenAI-style prefix.
pub(crate) fn completion_id(prefix: &str) -> String {
    format!(
        "{prefix}-{:016x}{:08x}",
        fastrand::u64(..),
        fastrand::u32(..)
    )
}

impl MockProvider {
    pub fn new(cfg: &MockConfig) -> Self {
        MockProvider {
            models: RwLock::new(cfg.models.clone()),
            loaded: RwLock::new(Vec::new()),
            defaults: cfg.clone(),
        }
    }

    /// A new provider from `cfg` that keeps the models `previous` had loaded at run time.
    pub fn reloaded(cfg: &MockConfig, previous: &MockProvider) -> Self {
        let next = MockProvider::new(cfg);
        let carried: Vec<MockModelConfig> = previous
            .loaded
            .read()
            .map(|ids| ids.iter().filter_map(|id| previous.model(id)).collect())
            .unwrap_or_default();
        for m in carried {
            next.load(&m.id, m.kind, &m.owned_by);
        }
        next
    }

    /// The first model of a kind (what `FORCE_MOCK_OPENAI` answers unknown names with).
    pub fn first_of_kind(&self, kind: MockModelKind) -> Option<String> {
        self.models
            .read()
            .ok()?
            .iter()
            .find(|m| m.kind == kind)
            .map(|m| m.id.clone())
    }

    /// Loads (or replaces) a model at run time, with the provider's default pacing.
    pub fn load(&self, id: &str, kind: MockModelKind, owned_by: &str) {
        let model = MockModelConfig {
            id: id.to_owned(),
            kind,
            owned_by: owned_by.to_owned(),
            ttft: self.defaults.ttft,
            tokens_per_second: self.defaults.tokens_per_second,
            reasoning: self.defaults.reasoning,
            error_rate: 0.0,
        };
        if let Ok(mut models) = self.models.write() {
            match models.iter_mut().find(|m| m.id == id) {
                Some(existing) => *existing = model,
                None => models.push(model),
            }
        }
        if let Ok(mut loaded) = self.loaded.write() {
            if !loaded.iter().any(|l| l == id) {
                loaded.push(id.to_owned());
            }
        }
    }

    /// Unloads one model; false when there was none of that name.
    pub fn unload(&self, id: &str) -> bool {
        if let Ok(mut loaded) = self.loaded.write() {
            loaded.retain(|l| l != id);
        }
        self.models
            .write()
            .map(|mut models| {
                let before = models.len();
                models.retain(|m| m.id != id);
                models.len() < before
            })
            .unwrap_or(false)
    }

    /// Unloads every model, presets included; returns how many there were.
    pub fn unload_all(&self) -> usize {
        if let Ok(mut loaded) = self.loaded.write() {
            loaded.clear();
        }
        self.models
            .write()
            .map(|mut models| {
                let n = models.len();
                models.clear();
                n
            })
            .unwrap_or(0)
    }

    pub fn models(&self) -> Vec<ModelInfo> {
        self.models
            .read()
            .map(|ms| {
                ms.iter()
                    .map(|m| ModelInfo {
                        id: m.id.clone(),
                        created: 1_700_000_000,
                        owned_by: m.owned_by.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn serves(&self, model: &str) -> bool {
        self.model(model).is_some()
    }

    fn model(&self, id: &str) -> Option<MockModelConfig> {
        self.models
            .read()
            .ok()?
            .iter()
            .find(|m| m.id == id)
            .cloned()
    }

    pub async fn call(&self, call: Call) -> Result<Reply, GatewayError> {
        let model =
            self.model(&call.upstream_model)
                .ok_or_else(|| GatewayError::ModelNotFound {
                    message: format!("the mock provider has no model '{}'", call.upstream_model),
                })?;
        check_kind(&model, &call.typed)?;
        let mut fault = Fault::from_headers(&call.client_headers)?;
        if fault.is_none() && model.error_rate > 0.0 && fastrand::f64() < model.error_rate {
            fault = Some(Fault::ServerError);
        }
        match fault {
            Some(Fault::RateLimited) => {
                return Err(GatewayError::MockFault {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    message: "rate limit reached (injected by x-mock-fault); retry after 1 second"
                        .into(),
                    retry_after_secs: Some(1),
                })
            }
            Some(Fault::ServerError) => {
                return Err(GatewayError::MockFault {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "the mock provider failed on purpose (x-mock-fault or error_rate)"
                        .into(),
                    retry_after_secs: None,
                })
            }
            Some(Fault::Unavailable) => {
                return Err(GatewayError::MockFault {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message:
                        "the mock provider is overloaded (injected by x-mock-fault); retry later"
                            .into(),
                    retry_after_secs: Some(1),
                })
            }
            Some(Fault::Timeout) => {
                tokio::time::sleep(TIMEOUT_FAULT_HANG).await;
                return Err(GatewayError::MockFault {
                    status: StatusCode::GATEWAY_TIMEOUT,
                    message: "the mock provider never answered (x-mock-fault: timeout)".into(),
                    retry_after_secs: None,
                });
            }
            Some(Fault::Disconnect) | None => {}
        }
        let disconnect = fault == Some(Fault::Disconnect);
        match &call.typed {
            Typed::Chat(req) if req.stream() => {
                let frames = chat::stream_frames(&model, req, &call.raw()?)?;
                Ok(Reply::Stream(paced(frames, &model, disconnect)))
            }
            Typed::Completion(req) if req.stream() => {
                let frames = completions::stream_frames(&model, req)?;
                Ok(Reply::Stream(paced(frames, &model, disconnect)))
            }
            _ if disconnect => Ok(Reply::Stream(broken_stream())),
            Typed::Chat(req) => {
                sleep_like_generation(&model).await;
                Ok(Reply::Json(chat::complete(&model, req, &call.raw()?)))
            }
            Typed::Completion(req) => {
                sleep_like_generation(&model).await;
                Ok(Reply::Json(completions::complete(&model, req)?))
            }
            Typed::Embedding(req) => Ok(Reply::Json(retrieval::embeddings(&model, req)?)),
            Typed::Rerank(req) => Ok(Reply::Json(retrieval::rerank(&model, req))),
            Typed::Native(n) => Err(GatewayError::Internal(format!(
                "the mock provider answers /{} through translation, not as it is",
                n.endpoint.upstream_path()
            ))),
        }
    }
}

/// A non-streamed answer arrives after the time to first token, like a real model's would.
async fn sleep_like_generation(model: &MockModelConfig) {
    if !model.ttft.is_zero() {
        tokio::time::sleep(model.ttft).await;
    }
}

fn check_kind(model: &MockModelConfig, typed: &Typed) -> Result<(), GatewayError> {
    use MockModelKind::*;
    let (ok, wanted) = match typed {
        Typed::Chat(_) | Typed::Completion(_) => (
            matches!(model.kind, Chat | Completion | Reasoning),
            "a chat or completion",
        ),
        Typed::Embedding(_) => (model.kind == Embedding, "an embedding"),
        Typed::Rerank(_) => (model.kind == Rerank, "a rerank"),
        Typed::Native(_) => (true, "a"),
    };
    if ok {
        return Ok(());
    }
    let endpoint = match model.kind {
        Chat | Reasoning => "/v1/chat/completions",
        Completion => "/v1/completions",
        Embedding => "/v1/embeddings",
        Rerank => "/v1/rerank",
    };
    Err(GatewayError::WrongModelKind {
        message: format!(
            "model '{}' is not {wanted} model; it serves {endpoint}",
            model.id
        ),
    })
}

/// Plays frames at the model's speed: the first after the time to first token, each later token
/// `1 / tokens_per_second` after the previous one. With `disconnect` the connection is cut halfway.
fn paced(frames: Vec<Frame>, model: &MockModelConfig, disconnect: bool) -> SseStream {
    let ttft = model.ttft;
    let gap = if model.tokens_per_second > 0.0 {
        Duration::from_secs_f64(1.0 / model.tokens_per_second)
    } else {
        Duration::ZERO
    };
    let keep = if disconnect {
        (frames.len() / 2).max(1)
    } else {
        frames.len()
    };
    let events = frames
        .into_iter()
        .take(keep)
        .enumerate()
        .map(move |(i, f)| {
            let delay = match (i, f.paced) {
                (0, _) => ttft,
                (_, true) => gap,
                (_, false) => Duration::ZERO,
            };
            (f.bytes, delay)
        });
    let ending: Result<Bytes, std::io::Error> = if disconnect {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "x-mock-fault: disconnect",
        ))
    } else {
        Ok(Bytes::from_static(crate::sse::DONE))
    };
    let body = futures_util::stream::iter(events)
        .then(|(bytes, delay)| async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Ok(bytes)
        })
        .chain(futures_util::stream::once(async move { ending }));
    Box::pin(body)
}

/// A body that fails at once: the client sees its connection drop without an answer.
fn broken_stream() -> SseStream {
    Box::pin(futures_util::stream::once(async {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "x-mock-fault: disconnect",
        ))
    }))
}
