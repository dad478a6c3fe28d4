//! An Anthropic Messages request (`POST /v1/messages`) → an OpenAI chat request, for providers that do
//! not speak the Messages API.
//!
//! Mapping (spec `openai-wire.md` §7.5): top-level `system` → a leading system message; `tool_result`
//! blocks → `tool` messages placed right after the assistant turn (before the user's other content);
//! `tool_use` → `tool_calls` with `input` as a JSON string; `thinking` → `reasoning_content`; images →
//! `image_url` parts (base64 as a data URL); `stop_sequences` → `stop` (at most 4); `tool_choice`
//! `any` → `required`, `tool` → a named function; `disable_parallel_tool_use` → `parallel_tool_calls:
//! false`; `thinking.budget_tokens` → `reasoning_effort`. Streams ask the upstream for usage
//! (`stream_options.include_usage`), because Anthropic's `message_delta` reports it.
//! Cache control, `top_k`, `metadata` and Anthropic's server tools have no chat equivalent and are dropped.

use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The typed view of a Messages request: what the translation reads (everything else is dropped).
#[derive(Debug, Clone, Deserialize)]
pub struct MessagesRequest {
    pub model: String,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    pub messages: Vec<Message>,
    #[serde(default)]
    pub system: Option<System>,
    #[serde(default)]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
    #[serde(default)]
    pub tools: Option<Vec<Tool>>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default)]
    pub thinking: Option<Thinking>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum System {
    Text(String),
    Blocks(Vec<SystemBlock>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct SystemBlock {
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    /// Mid-conversation instructions (the `mid-conversation-system` beta Claude Code uses).
    System,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Content,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Blocks(Vec<Block>),
}

/// A content block; kinds the translation cannot use (`redacted_thinking`, `server_tool_use`, …) are
/// read as `Other` and dropped.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
    },
    Image {
        source: ImageSource,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(default)]
        content: Option<ToolResultContent>,
        #[serde(default)]
        is_error: Option<bool>,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
    },
    Document {
        #[serde(default)]
        source: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource {
    Base64 {
        media_type: String,
        data: String,
    },
    Url {
        url: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    Text(String),
    Blocks(Vec<Block>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub input_schema: Option<Value>,
    /// Absent or `custom` for client tools; Anthropic's server tools (`web_search_20250305`, …) have
    /// their own types and cannot run elsewhere.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ToolChoice {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub disable_parallel_tool_use: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Thinking {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub budget_tokens: Option<u32>,
}

impl MessagesRequest {
    pub fn stream(&self) -> bool {
        self.stream.unwrap_or(false)
    }

    /// The system prompt as one string.
    pub fn system_text(&self) -> String {
        match &self.system {
            None => String::new(),
            Some(System::Text(s)) => s.clone(),
            Some(System::Blocks(blocks)) => blocks
                .iter()
                .map(|b| b.text.as_str())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n"),
        }
    }
}

/// The chat request for `req`, as a JSON object.
pub fn to_chat(req: &MessagesRequest) -> Map<String, Value> {
    let mut messages = Vec::new();
    let system = req.system_text();
    if !system.is_empty() {
        messages.push(json!({ "role": "system", "content": system }));
    }
    for m in &req.messages {
        match (m.role, &m.content) {
            (Role::User, Content::Text(s)) => {
                messages.push(json!({ "role": "user", "content": s }))
            }
            (Role::User, Content::Blocks(blocks)) => user_blocks(blocks, &mut messages),
            (Role::Assistant, Content::Text(s)) => {
                messages.push(json!({ "role": "assistant", "content": s }))
            }
            (Role::Assistant, Content::Blocks(blocks)) => {
                messages.push(assistant_blocks(blocks));
            }
            (Role::System, content) => {
                let text = match content {
                    Content::Text(s) => s.clone(),
                    Content::Blocks(blocks) => blocks
                        .iter()
                        .filter_map(|b| match b {
                            Block::Text { text } => Some(text.as_str()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join("\n\n"),
                };
                messages.push(json!({ "role": "system", "content": text }));
            }
        }
    }
    super::hoist_early_system(&mut messages);

    let mut out = Map::new();
    out.insert("model".into(), json!(req.model));
    out.insert("messages".into(), Value::Array(messages));
    if let Some(n) = req.max_tokens.filter(|n| *n > 0) {
        out.insert("max_tokens".into(), json!(n));
    }
    if let Some(t) = req.temperature {
        out.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        out.insert("top_p".into(), json!(p));
    }
    let stop: Vec<&String> = req
        .stop_sequences
        .iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .take(4)
        .collect();
    if !stop.is_empty() {
        out.insert("stop".into(), json!(stop));
    }
    if req.stream() {
        out.insert("stream".into(), json!(true));
        out.insert("stream_options".into(), json!({ "include_usage": true }));
    }
    let tools: Vec<Value> = req
        .tools
        .iter()
        .flatten()
        .filter(|t| t.kind.as_deref().is_none_or(|k| k == "custom"))
        .map(|t| {
            let mut function = json!({
                "name": t.name,
                "parameters": t.input_schema.clone()
                    .unwrap_or_else(|| json!({ "type": "object", "properties": {} })),
            });
            if let Some(d) = &t.description {
                function["description"] = json!(d);
            }
            json!({ "type": "function", "function": function })
        })
        .collect();
    if !tools.is_empty() {
        if let Some(choice) = &req.tool_choice {
            let mapped = match choice.kind.as_str() {
                "any" => Some(json!("required")),
                "none" => Some(json!("none")),
                "tool" => choice
                    .name
                    .as_ref()
                    .map(|n| json!({ "type": "function", "function": { "name": n } })),
                _ => Some(json!("auto")),
            };
            if let Some(m) = mapped {
                out.insert("tool_choice".into(), m);
            }
            if choice.disable_parallel_tool_use == Some(true) {
                out.insert("parallel_tool_calls".into(), json!(false));
            }
        }
        out.insert("tools".into(), Value::Array(tools));
    }
    if let Some(t) = &req.thinking {
        if t.kind == "enabled" {
            let effort = match t.budget_tokens.unwrap_or(0) {
                0..4096 => "low",
                4096..16384 => "medium",
                _ => "high",
            };
            out.insert("reasoning_effort".into(), json!(effort));
        }
    }
    out
}

/// A user turn: its `tool_result` blocks become `tool` messages first (chat wants them right after
/// the assistant's calls), then the rest becomes one user message.
fn user_blocks(blocks: &[Block], messages: &mut Vec<Value>) {
    let mut parts: Vec<Value> = Vec::new();
    for b in blocks {
        match b {
            Block::ToolResult {
                tool_use_id,
                content,
                ..
            } => {
                let mut text = Vec::new();
                match content {
                    Some(ToolResultContent::Text(s)) => text.push(s.clone()),
                    Some(ToolResultContent::Blocks(inner)) => {
                        for ib in inner {
                            match ib {
                                Block::Text { text: t } => text.push(t.clone()),
                                // A tool message cannot carry images; they follow in the user message.
                                Block::Image { source } => parts.extend(image_part(source)),
                                _ => {}
                            }
                        }
                    }
                    None => {}
                }
                messages.push(json!({
                    "role": "tool", "tool_call_id": tool_use_id, "content": text.join("\n"),
                }));
            }
            Block::Text { text } => parts.push(json!({ "type": "text", "text": text })),
            Block::Image { source } => parts.extend(image_part(source)),
            Block::Document { source } => {
                if let Some(data) = source.get("data").and_then(Value::as_str) {
                    if source["type"] == "text" {
                        parts.push(json!({ "type": "text", "text": data }));
                    }
                }
            }
            Block::ToolUse { .. } | Block::Thinking { .. } | Block::Other => {}
        }
    }
    if parts.is_empty() {
        return;
    }
    let all_text = parts.iter().all(|p| p["type"] == "text");
    let content = if all_text {
        // Plain strings are what every OpenAI-compatible server accepts.
        json!(parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"))
    } else {
        Value::Array(parts)
    };
    messages.push(json!({ "role": "user", "content": content }));
}

fn image_part(source: &ImageSource) -> Option<Value> {
    let url = match source {
        ImageSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
        ImageSource::Url { url } => url.clone(),
        ImageSource::Other => return None,
    };
    Some(json!({ "type": "image_url", "image_url": { "url": url } }))
}

fn assistant_blocks(blocks: &[Block]) -> Value {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut calls = Vec::new();
    for b in blocks {
        match b {
            Block::Text { text: t } => text.push_str(t),
            Block::Thinking { thinking } => reasoning.push_str(thinking),
            Block::ToolUse { id, name, input } => {
                let arguments = if input.is_null() {
                    "{}".to_owned()
                } else {
                    input.to_string()
                };
                calls.push(json!({
                    "id": id, "type": "function",
                    "function": { "name": name, "arguments": arguments },
                }));
            }
            _ => {}
        }
    }
    let mut m = json!({ "role": "assistant" });
    m["content"] = if text.is_empty() && !calls.is_empty() {
        Value::Null
    } else {
        json!(text)
    };
    if !reasoning.is_empty() {
        m["reasoning_content"] = json!(reasoning);
    }
    if !calls.is_empty() {
        m["tool_calls"] = Value::Array(calls);
    }
    m
}
