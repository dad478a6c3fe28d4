//! Whole (non-streamed) replies between the chat and Anthropic shapes, both ways, and the two error
//! envelopes.
//!
//! - [`chat_to_message`]: a `chat.completion` → an Anthropic `message` (the `/v1/messages` front door):
//!   `reasoning_content` → a `thinking` block first, then the text, then `tool_use` blocks with
//!   `arguments` parsed into `input`; `finish_reason` → `stop_reason`; usage with cached tokens split out.
//! - [`message_to_chat`]: the reverse, for the `anthropic` provider kind.
//! - [`anthropic_error`] / [`openai_error_from_anthropic`]: `{"type":"error","error":{type,message}}`
//!   ⇄ `{"error":{message,type,param,code}}`.

use serde_json::{json, Value};

use super::anthropic_out::JSON_TOOL;
use super::{
    anthropic_usage, finish_reason_of, id_suffix, openai_usage, reasoning_of, stop_reason_of,
};

/// The Anthropic error type for an HTTP status (docs.claude.com/en/api/errors).
pub fn anthropic_error_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

/// An Anthropic error body.
pub fn anthropic_error(status: u16, message: &str) -> Value {
    json!({
        "type": "error",
        "error": { "type": anthropic_error_type(status), "message": message },
    })
}

/// Whether a body is already an Anthropic error (an upstream Anthropic error passes through as it is).
pub fn is_anthropic_error(body: &Value) -> bool {
    body["type"] == "error" && body["error"]["message"].is_string()
}

/// An OpenAI error body → the Anthropic envelope, keeping the message.
pub fn anthropic_error_from_openai(status: u16, body: &[u8]) -> Value {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if is_anthropic_error(&parsed) {
        return parsed;
    }
    let message = parsed["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    anthropic_error(status, &message)
}

/// An Anthropic error body from an upstream → the OpenAI envelope, keeping the message and naming the
/// Anthropic error type as the `code`.
pub fn openai_error_from_anthropic(provider: &str, status: u16, body: &[u8]) -> Value {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let upstream_type = parsed["error"]["type"].as_str();
    let message = parsed["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&body[..body.len().min(2048)])
                .trim()
                .to_owned()
        });
    let message = if message.is_empty() {
        format!("provider '{provider}' answered {status} with an empty body")
    } else {
        format!("provider '{provider}' answered {status}: {message}")
    };
    let kind = match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "upstream_error",
    };
    json!({ "error": { "message": message, "type": kind, "param": null, "code": upstream_type } })
}

/// The tool calls of a chat message, parsed into `(id, name, input)`; arguments that are not a JSON
/// object (a reply cut by `max_tokens`) become `{}`.
fn tool_uses(message: &Value) -> Vec<Value> {
    message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|call| {
            let f = &call["function"];
            let input = f["arguments"]
                .as_str()
                .and_then(|a| serde_json::from_str::<Value>(a).ok())
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({}));
            json!({
                "type": "tool_use",
                "id": call["id"].as_str().unwrap_or("toolu_0"),
                "name": f["name"].as_str().unwrap_or(""),
                "input": input,
            })
        })
        .collect()
}

/// A `chat.completion` → an Anthropic `message` answering a request for `model`.
pub fn chat_to_message(chat: &Value, model: &str) -> Value {
    let choice = &chat["choices"][0];
    let message = &choice["message"];
    let mut content = Vec::new();
    if let Some(r) = reasoning_of(message) {
        content.push(json!({ "type": "thinking", "thinking": r, "signature": "" }));
    }
    let text = super::chat_text(&message["content"]);
    if !text.is_empty() {
        content.push(json!({ "type": "text", "text": text }));
    }
    let tools = tool_uses(message);
    let made_calls = !tools.is_empty();
    content.extend(tools);
    let finish = choice["finish_reason"].as_str().unwrap_or("stop");
    json!({
        "id": format!("msg_{}", id_suffix(chat["id"].as_str().unwrap_or("0"))),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason_of(finish, made_calls),
        "stop_sequence": null,
        "usage": anthropic_usage(&chat["usage"]),
    })
}

/// An Anthropic `message` → a `chat.completion`. With `json_tool`, the forced [`JSON_TOOL`] call is
/// the answer to a `json_schema` request and becomes the message text.
pub fn message_to_chat(msg: &Value, created: i64, json_tool: bool) -> Value {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut calls = Vec::new();
    for block in msg["content"].as_array().into_iter().flatten() {
        match block["type"].as_str() {
            Some("text") => text.push_str(block["text"].as_str().unwrap_or("")),
            Some("thinking") => reasoning.push_str(block["thinking"].as_str().unwrap_or("")),
            Some("tool_use") if json_tool && block["name"] == JSON_TOOL => {
                text.push_str(&block["input"].to_string());
            }
            Some("tool_use") => calls.push(json!({
                "id": block["id"],
                "type": "function",
                "function": {
                    "name": block["name"],
                    "arguments": block["input"].to_string(),
                },
            })),
            _ => {}
        }
    }
    let stop = msg["stop_reason"].as_str().unwrap_or("end_turn");
    let mut finish = finish_reason_of(stop);
    if json_tool && finish == "tool_calls" && calls.is_empty() {
        finish = "stop";
    }
    let mut message = json!({
        "role": "assistant",
        "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { json!(text) },
        "refusal": null,
    });
    if !reasoning.is_empty() {
        message["reasoning_content"] = json!(reasoning);
    }
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    json!({
        "id": format!("chatcmpl-{}", id_suffix(msg["id"].as_str().unwrap_or("0"))),
        "object": "chat.completion",
        "created": created,
        "model": msg["model"],
        "choices": [{ "index": 0, "message": message, "logprobs": null, "finish_reason": finish }],
        "usage": openai_usage(&msg["usage"]),
    })
}
