//! An OpenAI chat request → an Anthropic Messages request, for the `anthropic` provider kind.
//!
//! Mapping (spec `openai-wire.md` §7.5): system and developer messages (anywhere) → top-level `system`;
//! `tool` messages → `tool_result` blocks at the start of the next user turn (Anthropic refuses a turn
//! after `tool_use` that does not begin with its results); `tool_calls` → `tool_use` blocks with the
//! arguments parsed into an object; `image_url` → `image` (data URLs become base64 sources);
//! `max_tokens` is required upstream (default [`DEFAULT_MAX_TOKENS`]); temperature is clamped to 0–1;
//! `stop` → `stop_sequences`; `tool_choice` `required` → `any`; `parallel_tool_calls: false` →
//! `disable_parallel_tool_use`; `reasoning_effort` → `thinking.budget_tokens`; `user` →
//! `metadata.user_id`; `response_format: json_schema` → one forced tool whose input is the answer
//! (the reply translation turns that tool's input back into the message text).
//! `reasoning_content` on assistant turns is dropped: Anthropic only takes thinking blocks back with the
//! signature it issued, which a chat history does not carry.

use serde_json::{json, Map, Value};

use crate::error::GatewayError;

/// `max_tokens` when the chat request sets none (every current Claude model accepts it).
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// The forced tool that carries `response_format: json_schema` answers.
pub const JSON_TOOL: &str = "json_response";

/// The translated request, and whether replies must unwrap the [`JSON_TOOL`] call into text.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub body: Value,
    pub json_tool: bool,
}

/// Translates a chat request (as its JSON object) for `model`.
pub fn from_chat(raw: &Map<String, Value>, model: &str) -> Result<Plan, GatewayError> {
    if raw.get("n").and_then(Value::as_u64).is_some_and(|n| n > 1) {
        return Err(GatewayError::invalid(
            "the anthropic provider returns one choice per request; drop 'n' or set it to 1",
            Some("n".into()),
        ));
    }
    let mut system: Vec<String> = Vec::new();
    let mut turns: Vec<(String, Vec<Value>)> = Vec::new();
    let empty = Vec::new();
    let messages = raw
        .get("messages")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    for m in messages {
        let role = m["role"].as_str().unwrap_or("user");
        match role {
            "system" | "developer" => {
                let text = crate::translate::chat_text(&m["content"]);
                if !text.is_empty() {
                    system.push(text);
                }
            }
            "assistant" => push_blocks(&mut turns, "assistant", assistant_blocks(m)),
            "tool" | "function" => {
                let id = m["tool_call_id"]
                    .as_str()
                    .or(m["name"].as_str())
                    .unwrap_or("");
                let block = json!({
                    "type": "tool_result", "tool_use_id": id,
                    "content": crate::translate::chat_text(&m["content"]),
                });
                push_blocks(&mut turns, "user", vec![block]);
            }
            _ => push_blocks(&mut turns, "user", user_blocks(&m["content"])),
        }
    }

    let mut out = Map::new();
    out.insert("model".into(), json!(model));
    let mut max_tokens = raw
        .get("max_completion_tokens")
        .or_else(|| raw.get("max_tokens"))
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_MAX_TOKENS);
    if !system.is_empty() {
        out.insert("system".into(), json!(system.join("\n\n")));
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect();
    out.insert("messages".into(), Value::Array(messages));
    if let Some(stop) = raw.get("stop") {
        let list: Vec<&str> = match stop {
            Value::String(s) => vec![s.as_str()],
            Value::Array(v) => v.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let list: Vec<&str> = list.into_iter().filter(|s| !s.trim().is_empty()).collect();
        if !list.is_empty() {
            out.insert("stop_sequences".into(), json!(list));
        }
    }
    if raw.get("stream").and_then(Value::as_bool) == Some(true) {
        out.insert("stream".into(), json!(true));
    }
    if let Some(user) = raw.get("user").and_then(Value::as_str) {
        // Anthropic refuses user ids that look like email addresses.
        if !user.contains('@') && !user.is_empty() {
            out.insert("metadata".into(), json!({ "user_id": user }));
        }
    }

    let mut tools: Vec<Value> = raw
        .get("tools")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
        .iter()
        .filter(|t| t["type"] == "function")
        .filter_map(|t| {
            let f = &t["function"];
            let mut tool = json!({
                "name": f["name"].as_str()?,
                "input_schema": schema_or_default(&f["parameters"]),
            });
            if let Some(d) = f["description"].as_str() {
                tool["description"] = json!(d);
            }
            Some(tool)
        })
        .collect();
    let mut tool_choice = match raw.get("tool_choice") {
        Some(Value::String(s)) if s == "required" => Some(json!({ "type": "any" })),
        Some(Value::String(s)) if s == "none" => Some(json!({ "type": "none" })),
        Some(Value::String(_)) => Some(json!({ "type": "auto" })),
        Some(Value::Object(o)) => o
            .get("function")
            .and_then(|f| f["name"].as_str())
            .map(|n| json!({ "type": "tool", "name": n })),
        _ => None,
    };
    if raw.get("parallel_tool_calls").and_then(Value::as_bool) == Some(false) && !tools.is_empty() {
        let choice = tool_choice.get_or_insert_with(|| json!({ "type": "auto" }));
        if choice["type"] != "none" {
            choice["disable_parallel_tool_use"] = json!(true);
        }
    }
    let mut json_tool = false;
    match raw.get("response_format") {
        Some(f) if f["type"] == "json_schema" => {
            let spec = &f["json_schema"];
            let mut tool = json!({
                "name": JSON_TOOL,
                "description": "Respond with the answer as this tool's input.",
                "input_schema": schema_or_default(&spec["schema"]),
            });
            if let Some(d) = spec["description"].as_str() {
                tool["description"] = json!(d);
            }
            tools.push(tool);
            tool_choice = Some(json!({ "type": "tool", "name": JSON_TOOL }));
            json_tool = true;
        }
        Some(f) if f["type"] == "json_object" => {
            let note = "Respond with a single JSON object and nothing else.";
            let system = match out.get("system").and_then(Value::as_str) {
                Some(s) => format!("{s}\n\n{note}"),
                None => note.to_owned(),
            };
            out.insert("system".into(), json!(system));
        }
        _ => {}
    }
    if !tools.is_empty() {
        out.insert("tools".into(), Value::Array(tools));
        if let Some(c) = tool_choice {
            out.insert("tool_choice".into(), c);
        }
    }

    let budget = match raw.get("reasoning_effort").and_then(Value::as_str) {
        Some("low") => Some(1024),
        Some("medium") => Some(4096),
        Some("high") => Some(16384),
        _ => None,
    };
    match budget {
        // Thinking cannot be combined with a forced tool.
        Some(budget) if !json_tool => {
            if max_tokens <= budget {
                max_tokens += budget;
            }
            out.insert(
                "thinking".into(),
                json!({ "type": "enabled", "budget_tokens": budget }),
            );
        }
        // With thinking on, Anthropic only accepts the default sampling settings.
        _ => {
            if let Some(t) = raw.get("temperature").and_then(Value::as_f64) {
                out.insert("temperature".into(), json!(t.clamp(0.0, 1.0)));
            }
            if let Some(p) = raw.get("top_p").and_then(Value::as_f64) {
                out.insert("top_p".into(), json!(p));
            }
            if let Some(k) = raw.get("top_k").and_then(Value::as_u64) {
                out.insert("top_k".into(), json!(k));
            }
        }
    }
    out.insert("max_tokens".into(), json!(max_tokens));
    Ok(Plan {
        body: Value::Object(out),
        json_tool,
    })
}

fn schema_or_default(schema: &Value) -> Value {
    if schema.is_object() {
        schema.clone()
    } else {
        json!({ "type": "object", "properties": {} })
    }
}

/// Appends blocks to the last turn when it has the same role (Anthropic merges consecutive turns
/// anyway), keeping `tool_result` blocks ahead of everything else in a user turn.
fn push_blocks(turns: &mut Vec<(String, Vec<Value>)>, role: &str, blocks: Vec<Value>) {
    if blocks.is_empty() {
        return;
    }
    match turns.last_mut() {
        Some((r, existing)) if r == role => {
            for b in blocks {
                if b["type"] == "tool_result" {
                    let at = existing
                        .iter()
                        .take_while(|e| e["type"] == "tool_result")
                        .count();
                    existing.insert(at, b);
                } else {
                    existing.push(b);
                }
            }
        }
        _ => turns.push((role.to_owned(), blocks)),
    }
}

fn user_blocks(content: &Value) -> Vec<Value> {
    match content {
        Value::String(s) if !s.is_empty() => vec![json!({ "type": "text", "text": s })],
        Value::Array(parts) => parts.iter().filter_map(part_block).collect(),
        _ => vec![],
    }
}

fn part_block(part: &Value) -> Option<Value> {
    match part["type"].as_str()? {
        "text" | "input_text" => {
            let text = part["text"].as_str().filter(|t| !t.is_empty())?;
            Some(json!({ "type": "text", "text": text }))
        }
        "image_url" => {
            let url = part["image_url"]["url"]
                .as_str()
                .or(part["image_url"].as_str())?;
            Some(json!({ "type": "image", "source": image_source(url) }))
        }
        _ => None,
    }
}

/// `data:image/png;base64,AAAA` → a base64 source; anything else is fetched by Anthropic as a URL.
fn image_source(url: &str) -> Value {
    if let Some(rest) = url.strip_prefix("data:") {
        if let Some((media_type, data)) = rest.split_once(";base64,") {
            return json!({ "type": "base64", "media_type": media_type, "data": data });
        }
    }
    json!({ "type": "url", "url": url })
}

fn assistant_blocks(m: &Value) -> Vec<Value> {
    let mut blocks = Vec::new();
    let text = crate::translate::chat_text(&m["content"]);
    if !text.is_empty() {
        blocks.push(json!({ "type": "text", "text": text }));
    }
    for call in m["tool_calls"].as_array().into_iter().flatten() {
        let f = &call["function"];
        let input = f["arguments"]
            .as_str()
            .and_then(|a| serde_json::from_str::<Value>(a).ok())
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({}));
        blocks.push(json!({
            "type": "tool_use",
            "id": call["id"].as_str().unwrap_or(""),
            "name": f["name"].as_str().unwrap_or(""),
            "input": input,
        }));
    }
    blocks
}
