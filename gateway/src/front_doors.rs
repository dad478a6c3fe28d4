//! Front doors for other APIs: the Anthropic Messages API (`/v1/messages`, Claude Code) and OpenAI's
//! Responses API (`/v1/responses`, Codex CLI), plus Cursor's agent mode, which posts Responses-shaped
//! bodies to `/v1/chat/completions`.
//!
//! Each request goes one of two ways:
//! - **native**: when every target of the model's route speaks the API itself (an `anthropic`
//!   provider for Messages, an `openai` provider with `responses_api = true` for Responses), the
//!   client's bytes are forwarded as they are ([`Typed::Native`]) and the upstream's answer comes back
//!   untouched;
//! - **translated**: otherwise the body becomes a chat request ([`crate::translate`]), goes through the
//!   normal dispatch (routing, fallbacks, retries), and the chat answer — a body or a chunk stream — is
//!   translated back.
//!
//! Errors on `/v1/messages` use Anthropic's envelope (`{"type":"error","error":{type,message}}`), which
//! the Anthropic SDK and Claude Code read; `/v1/responses` keeps the OpenAI envelope. The routes sit in
//! the `/v1` router, so CORS and gateway keys (`Authorization: Bearer` or `x-api-key`) apply as
//! everywhere else; `anthropic-version`/`anthropic-beta` are accepted and, on the native path, passed on
//! by the provider. Claude Code's `?beta=true` query is ignored by the router.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::GatewayError;
use crate::providers::{Endpoint, NativeRequest, Reply, Typed};
use crate::server::{self, AppState};
use crate::translate::anthropic_in::{self, MessagesRequest};
use crate::translate::anthropic_reply;
use crate::translate::anthropic_stream::ChatToAnthropic;
use crate::translate::responses_in::{self, ResponsesRequest, Target};
use crate::translate::responses_reply::{self, Echo};
use crate::translate::responses_stream::ChatToResponses;
use crate::translate::stream::{translate, translate_all};
use crate::translate::{chunks_of, Emit, Translator};
use crate::wire::{self, ChatRequest};

/// Routes under `/v1` (merged into the OpenAI router, so CORS and keys apply to them too).
pub fn v1_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/messages", post(messages))
        .route("/messages/count_tokens", post(count_tokens))
        .route("/responses", post(responses))
}

/// Whether the model's every target takes `endpoint` bodies as they are.
async fn native(state: &AppState, model: &str, endpoint: Endpoint) -> bool {
    match state.live().registry.plan(model, endpoint).await {
        Ok(plan) => {
            !plan.targets.is_empty() && plan.targets.iter().all(|t| t.provider.speaks(endpoint))
        }
        Err(_) => false,
    }
}

async fn forward_native(
    state: &AppState,
    headers: HeaderMap,
    body: Bytes,
    endpoint: Endpoint,
    model: &str,
    stream: bool,
) -> Result<Response, GatewayError> {
    let typed = Typed::Native(NativeRequest {
        endpoint,
        model: model.to_owned(),
        stream,
    });
    let reply = crate::dispatch::dispatch(state, headers, body, typed).await?;
    Ok(server::into_response(reply))
}

/// A translated chat request, encoded and validated like one a client sent.
fn chat_call(body: &Map<String, Value>) -> Result<(Bytes, Typed), GatewayError> {
    let bytes = serde_json::to_vec(body).map(Bytes::from).map_err(|e| {
        GatewayError::Internal(format!("cannot encode the translated request: {e}"))
    })?;
    let typed: ChatRequest = wire::typed(&bytes)?;
    typed.validate()?;
    Ok((bytes, Typed::Chat(typed)))
}

/// The chat completion in a whole (non-streamed) reply.
fn reply_json(reply: Reply) -> Result<Value, GatewayError> {
    match reply {
        Reply::Json(v) => Ok(v),
        Reply::Passthrough { body, .. } => serde_json::from_slice(&body).map_err(|e| {
            GatewayError::Internal(format!(
                "the provider's answer is not a chat completion ({e}); check that it speaks the OpenAI API"
            ))
        }),
        Reply::Stream(_) => Err(GatewayError::Internal(
            "the provider streamed an answer that was asked for whole".into(),
        )),
    }
}

/// A whole chat completion as the event stream the client asked for (an upstream that ignored
/// `stream: true`).
fn replay(chat: &Value, translator: impl Translator) -> Reply {
    let bytes = Emit::encode_all(&translate_all(translator, &chunks_of(chat)));
    Reply::Stream(Box::pin(futures_util::stream::once(
        async move { Ok(bytes) },
    )))
}

async fn messages(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    match serve_messages(&state, headers, body).await {
        Ok(r) => r,
        Err(e) => anthropic_error_response(e).await,
    }
}

async fn serve_messages(
    state: &AppState,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let body = server::read_body(state, &headers, body).await?;
    let req: MessagesRequest = wire::typed(&body)?;
    if native(state, &req.model, Endpoint::Messages).await {
        let (model, stream) = (req.model.clone(), req.stream());
        return forward_native(state, headers, body, Endpoint::Messages, &model, stream).await;
    }
    let (bytes, typed) = chat_call(&anthropic_in::to_chat(&req))?;
    let reply = crate::dispatch::dispatch(state, headers, bytes, typed).await?;
    let translator = ChatToAnthropic::new(req.model.as_str());
    Ok(match reply {
        Reply::Stream(s) => server::into_response(Reply::Stream(translate(s, translator))),
        whole if req.stream() => server::into_response(replay(&reply_json(whole)?, translator)),
        whole => {
            let chat = reply_json(whole)?;
            server::into_response(Reply::Json(anthropic_reply::chat_to_message(
                &chat, &req.model,
            )))
        }
    })
}

/// Renders any gateway error in Anthropic's envelope, keeping the status and headers
/// (`retry-after` …). An upstream Anthropic error body passes through as it is.
async fn anthropic_error_response(err: GatewayError) -> Response {
    let (mut parts, body) = err.into_response().into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let body = anthropic_reply::anthropic_error_from_openai(parts.status.as_u16(), &bytes);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}

async fn count_tokens(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match serve_count_tokens(&state, headers, body).await {
        Ok(r) => r,
        Err(e) => anthropic_error_response(e).await,
    }
}

/// Anthropic providers count natively; for everything else the count is an estimate with the
/// `cl100k_base` tokenizer over the translated conversation (what the mock provider reports too).
async fn serve_count_tokens(
    state: &AppState,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let body = server::read_body(state, &headers, body).await?;
    let req: MessagesRequest = wire::typed(&body)?;
    if native(state, &req.model, Endpoint::CountTokens).await {
        let model = req.model.clone();
        return forward_native(state, headers, body, Endpoint::CountTokens, &model, false).await;
    }
    let chat = anthropic_in::to_chat(&req);
    let count = tokio::task::spawn_blocking(move || estimate_tokens(&chat))
        .await
        .map_err(|e| GatewayError::Internal(format!("token counting failed: {e}")))?;
    Ok(server::into_response(Reply::Json(
        json!({ "input_tokens": count }),
    )))
}

/// Prompt tokens of a chat request: 3 tokens of framing per message, 3 to prime the reply, and the
/// text of contents, tool calls and tool definitions.
fn estimate_tokens(chat: &Map<String, Value>) -> u32 {
    use crate::providers::mock::tokens::count;
    let mut total = 3;
    for m in chat
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        total += 3 + count(&crate::translate::chat_text(&m["content"]));
        if let Some(r) = m["reasoning_content"].as_str() {
            total += count(r);
        }
        for call in m["tool_calls"].as_array().into_iter().flatten() {
            total += count(call["function"]["name"].as_str().unwrap_or(""))
                + count(call["function"]["arguments"].as_str().unwrap_or(""));
        }
    }
    if let Some(tools) = chat.get("tools") {
        total += count(&tools.to_string());
    }
    total
}

async fn responses(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let body = server::read_body(&state, &headers, body).await?;
    let req: ResponsesRequest = wire::typed(&body)?;
    if native(&state, &req.model, Endpoint::Responses).await {
        let (model, stream) = (req.model.clone(), req.stream());
        return forward_native(&state, headers, body, Endpoint::Responses, &model, stream).await;
    }
    let translated = responses_in::to_chat(&req, Target::Responses)?;
    let echo = Echo::of(
        &wire::parse_object(&body)?,
        translated.custom_tools,
        translated.namespaces,
    );
    let (bytes, typed) = chat_call(&translated.body)?;
    let reply = crate::dispatch::dispatch(&state, headers, bytes, typed).await?;
    Ok(match reply {
        Reply::Stream(s) => {
            server::into_response(Reply::Stream(translate(s, ChatToResponses::new(echo))))
        }
        whole if req.stream() => {
            server::into_response(replay(&reply_json(whole)?, ChatToResponses::new(echo)))
        }
        whole => {
            let chat = reply_json(whole)?;
            server::into_response(Reply::Json(responses_reply::chat_to_response(&chat, &echo)))
        }
    })
}

fn mentions(body: &[u8], needle: &[u8]) -> bool {
    body.windows(needle.len()).any(|w| w == needle)
}

/// Whether a body has `input` and no `messages`: the Responses shape.
fn is_responses_shaped(body: &[u8]) -> bool {
    // `"messages"` can only appear unescaped as a key or a whole string: a cheap first test that
    // keeps ordinary chat requests off the parsing path.
    if mentions(body, b"\"messages\"") || !mentions(body, b"\"input\"") {
        return false;
    }
    #[derive(Deserialize)]
    struct Shape {
        #[serde(default)]
        messages: Option<IgnoredAny>,
        #[serde(default)]
        input: Option<IgnoredAny>,
    }
    serde_json::from_slice::<Shape>(body).is_ok_and(|s| s.messages.is_none() && s.input.is_some())
}

/// Cursor's agent mode sends Responses-shaped bodies (`input`, flat tools, `custom` tools) to
/// `/v1/chat/completions` and reads Chat Completions back: such a body is translated to a chat
/// request here, before the chat handler reads it; any other body passes through untouched.
pub(crate) async fn responses_shaped_chat(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Body, GatewayError> {
    let bytes = server::read_body(state, headers, body).await?;
    if !is_responses_shaped(&bytes) {
        return Ok(Body::from(bytes));
    }
    let req: ResponsesRequest = wire::typed(&bytes)?;
    let translated = responses_in::to_chat(&req, Target::Chat)?;
    let out = serde_json::to_vec(&translated.body).map_err(|e| {
        GatewayError::Internal(format!("cannot encode the translated request: {e}"))
    })?;
    Ok(Body::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bodies_with_input_and_no_messages_are_responses_shaped() {
        assert!(is_responses_shaped(br#"{"model":"m","input":"hi"}"#));
        assert!(!is_responses_shaped(
            br#"{"model":"m","messages":[],"input":"x"}"#
        ));
        assert!(!is_responses_shaped(
            br#"{"model":"m","messages":[{"role":"user","content":"say \"input\""}]}"#
        ));
        assert!(!is_responses_shaped(
            br#"{"model":"m","prompt":"\"input\""}"#
        ));
        assert!(!is_responses_shaped(b"not json \"input\""));
    }
}
