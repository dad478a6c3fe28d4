//! The one translation layer between the three chat-shaped APIs the gateway speaks: OpenAI Chat
//! Completions (the internal form every provider takes), Anthropic Messages, and OpenAI Responses.
//!
//! Everything here is pure: functions from one JSON shape to another, and event-stream state machines
//! that take one parsed SSE event at a time and say which events to emit. Nothing here does I/O or knows
//! about axum or reqwest, so each direction is tested with data-driven fixtures
//! (`gateway/tests/fixtures/translate/`, one file per case, input → expected output).
//!
//! Directions:
//! - [`anthropic_in`]: an Anthropic Messages request → a chat request (the `/v1/messages` front door);
//! - [`anthropic_out`]: a chat request → an Anthropic Messages request (the `anthropic` provider kind);
//! - [`anthropic_reply`]: a chat completion ⇄ an Anthropic message, both ways, and the error envelopes;
//! - [`anthropic_stream`]: chat chunks → Anthropic events (front door);
//! - [`anthropic_chunks`]: Anthropic events → chat chunks (provider);
//! - [`responses_in`], [`responses_reply`], [`responses_stream`]: the Responses API front door;
//! - [`sse`]: an incremental SSE parser and the encoder for named and data-only events;
//! - [`stream`]: runs a state machine over a byte stream.
//!
//! Design decisions:
//! - Ids are derived, not invented, where the source has one (`chatcmpl-X` → `msg_X` → `resp_X`), so a
//!   translation is a deterministic function of its input and fixtures need no masking.
//! - Streams translate event by event without buffering content; only what the target format needs at
//!   its end (finish reason, usage) is held until the source's end (`[DONE]`, `message_stop`), because
//!   OpenAI sends usage after the finish reason.
//! - Fields one API has and the other cannot express are dropped on translation (cache control, top_k,
//!   server tools); the untranslated path (a provider that speaks the API natively) forwards the bytes.

pub mod anthropic_chunks;
pub mod anthropic_in;
pub mod anthropic_out;
pub mod anthropic_reply;
pub mod anthropic_stream;
pub mod responses_in;
pub mod responses_reply;
pub mod responses_stream;
pub mod sse;
pub mod stream;

#[cfg(test)]
mod fixtures;

use serde_json::{json, Value};

pub use sse::{Emit, SseEvent};

/// A streaming translation: fed the source's events one at a time, it says what to emit.
pub trait Translator: Send + 'static {
    /// One event of the source stream.
    fn event(&mut self, event: &SseEvent) -> Vec<Emit>;
    /// The source ended; whatever the target still needs to be complete.
    fn finish(&mut self) -> Vec<Emit>;
}

/// The part of an id after its type prefix (`chatcmpl-abc` → `abc`, `msg_abc` → `abc`).
pub fn id_suffix(id: &str) -> &str {
    for prefix in ["chatcmpl-", "chatcmpl_", "msg_", "resp_", "cmpl-"] {
        if let Some(rest) = id.strip_prefix(prefix) {
            if !rest.is_empty() {
                return rest;
            }
        }
    }
    id
}

/// OpenAI `finish_reason` → Anthropic `stop_reason` (`content_filter` → `refusal`, as the spec advises).
pub fn stop_reason_of(finish: &str, made_tool_calls: bool) -> &'static str {
    match finish {
        "length" => "max_tokens",
        "tool_calls" | "function_call" => "tool_use",
        "content_filter" => "refusal",
        // Some servers (older Ollama) finish a tool-call turn with "stop".
        _ if made_tool_calls => "tool_use",
        _ => "end_turn",
    }
}

/// Anthropic `stop_reason` → OpenAI `finish_reason`.
pub fn finish_reason_of(stop: &str) -> &'static str {
    match stop {
        "max_tokens" | "model_context_window_exceeded" | "compaction" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    }
}

fn u64_at(v: &Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for key in path {
        cur = &cur[*key];
    }
    cur.as_u64().unwrap_or(0)
}

/// OpenAI usage → Anthropic usage. Anthropic's `input_tokens` excludes cached tokens, which it reports
/// separately as `cache_read_input_tokens`.
pub fn anthropic_usage(usage: &Value) -> Value {
    let prompt = u64_at(usage, &["prompt_tokens"]);
    let cached = u64_at(usage, &["prompt_tokens_details", "cached_tokens"]).min(prompt);
    json!({
        "input_tokens": prompt - cached,
        "output_tokens": u64_at(usage, &["completion_tokens"]),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
    })
}

/// Anthropic usage → OpenAI usage: `prompt_tokens` counts cached and cache-written tokens too.
pub fn openai_usage(usage: &Value) -> Value {
    let input = u64_at(usage, &["input_tokens"]);
    let read = u64_at(usage, &["cache_read_input_tokens"]);
    let written = u64_at(usage, &["cache_creation_input_tokens"]);
    let output = u64_at(usage, &["output_tokens"]);
    let prompt = input + read + written;
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": output,
        "total_tokens": prompt + output,
        "prompt_tokens_details": { "cached_tokens": read },
    })
}

/// OpenAI chat usage → Responses usage.
pub fn responses_usage(usage: &Value) -> Value {
    let prompt = u64_at(usage, &["prompt_tokens"]);
    let completion = u64_at(usage, &["completion_tokens"]);
    json!({
        "input_tokens": prompt,
        "input_tokens_details": {
            "cached_tokens": u64_at(usage, &["prompt_tokens_details", "cached_tokens"]),
            "cache_write_tokens": 0,
        },
        "output_tokens": completion,
        "output_tokens_details": {
            "reasoning_tokens": u64_at(usage, &["completion_tokens_details", "reasoning_tokens"]),
        },
        "total_tokens": u64_at(usage, &["total_tokens"]).max(prompt + completion),
    })
}

/// The reasoning text of a chat message or delta: `reasoning_content` (DeepSeek, old vLLM) or
/// `reasoning` (vLLM now, Ollama, OpenRouter).
pub fn reasoning_of(message: &Value) -> Option<&str> {
    ["reasoning_content", "reasoning"]
        .iter()
        .find_map(|k| message.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// The text of chat message content: a string, or the text of its parts.
pub fn chat_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// Joins every system message before the first assistant turn into one leading system message:
/// several chat templates (Qwen's, Llama's) accept a single system message, at the start, and both
/// front doors produce more (Responses `instructions` + Codex's developer message; Claude Code's
/// system prompt + its mid-conversation system messages). Later system messages stay where they are.
pub fn hoist_early_system(messages: &mut Vec<Value>) {
    let first_assistant = messages
        .iter()
        .position(|m| m["role"] == "assistant")
        .unwrap_or(messages.len());
    let early: Vec<usize> = (0..first_assistant)
        .filter(|&i| messages[i]["role"] == "system")
        .collect();
    if early.is_empty() || (early.len() == 1 && early[0] == 0) {
        return;
    }
    let mut text = Vec::new();
    for &i in early.iter().rev() {
        let m = messages.remove(i);
        let t = chat_text(&m["content"]);
        if !t.is_empty() {
            text.push(t);
        }
    }
    text.reverse();
    messages.insert(0, json!({ "role": "system", "content": text.join("\n\n") }));
}

/// The stream a whole `chat.completion` would have been: for a client that asked for a stream when
/// the upstream answered in one piece (some servers ignore `stream: true`). Role, reasoning, text and
/// whole tool calls, the finish chunk, the usage chunk, `[DONE]`.
pub fn chunks_of(chat: &Value) -> Vec<SseEvent> {
    let chunk = |delta: Value, finish: Value| {
        let c = json!({
            "id": chat["id"], "object": "chat.completion.chunk", "created": chat["created"],
            "model": chat["model"],
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
        });
        SseEvent::data(c.to_string())
    };
    let choice = &chat["choices"][0];
    let message = &choice["message"];
    let mut out = vec![chunk(
        json!({ "role": "assistant", "content": "" }),
        Value::Null,
    )];
    if let Some(r) = reasoning_of(message) {
        out.push(chunk(json!({ "reasoning_content": r }), Value::Null));
    }
    let text = chat_text(&message["content"]);
    if !text.is_empty() {
        out.push(chunk(json!({ "content": text }), Value::Null));
    }
    for (i, call) in message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let fragment = json!({
            "index": i, "id": call["id"], "type": "function", "function": call["function"],
        });
        out.push(chunk(json!({ "tool_calls": [fragment] }), Value::Null));
    }
    let finish = choice["finish_reason"].clone();
    out.push(chunk(
        json!({}),
        if finish.is_null() {
            json!("stop")
        } else {
            finish
        },
    ));
    if chat["usage"].is_object() {
        let usage = json!({
            "id": chat["id"], "object": "chat.completion.chunk", "created": chat["created"],
            "model": chat["model"], "choices": [], "usage": chat["usage"],
        });
        out.push(SseEvent::data(usage.to_string()));
    }
    out.push(SseEvent::data("[DONE]"));
    out
}
