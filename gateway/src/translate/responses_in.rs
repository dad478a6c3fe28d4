//! A Responses API request (`POST /v1/responses`, Codex CLI; also Cursor's agent mode on
//! `/v1/chat/completions`) → an OpenAI chat request.
//!
//! Mapping: `instructions` → a leading system message; `input` as a string → one user message; input
//! items: `message` (roles user/assistant/system/developer; `developer` becomes `system`, which every
//! OpenAI-compatible server accepts), `function_call` → `tool_calls` on the assistant turn (consecutive
//! calls share one turn), `function_call_output` → a `tool` message, `reasoning` → `reasoning_content`
//! of the next assistant turn; `custom` tools (free-form input, e.g. Codex's `apply_patch`) become
//! functions with one string parameter `input`; `tool_choice`, `parallel_tool_calls`,
//! `reasoning.effort` → `reasoning_effort`, `max_output_tokens` → `max_tokens`, `text.format` →
//! `response_format`. The translation keeps no state, so `previous_response_id`, `conversation` and
//! item references are refused with a 400 that says to send the whole conversation.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::GatewayError;

/// The fields of a Responses request the translation reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ResponsesRequest {
    pub model: String,
    #[serde(default)]
    pub input: Option<Input>,
    #[serde(default)]
    pub instructions: Option<String>,
    #[serde(default)]
    pub tools: Option<Vec<Value>>,
    #[serde(default)]
    pub tool_choice: Option<Value>,
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default)]
    pub max_output_tokens: Option<u32>,
    #[serde(default)]
    pub reasoning: Option<Reasoning>,
    #[serde(default)]
    pub text: Option<TextParam>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub stream_options: Option<Value>,
    #[serde(default)]
    pub store: Option<bool>,
    #[serde(default)]
    pub previous_response_id: Option<String>,
    #[serde(default)]
    pub conversation: Option<Value>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Text(String),
    Items(Vec<Value>),
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Reasoning {
    #[serde(default)]
    pub effort: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TextParam {
    #[serde(default)]
    pub format: Option<Value>,
}

/// How the chat request is meant to be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `/v1/responses`: state is refused, usage is always requested (the `response.completed`
    /// event carries it).
    Responses,
    /// Cursor's agent mode on `/v1/chat/completions`: the answer stays a chat completion, so the
    /// client's own `stream_options` are kept.
    Chat,
}

/// The chat request, the names of the free-form (`custom`) tools among its functions, and the
/// namespace of each function that came from a `namespace` tool (Codex's sub-agent tools).
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    pub body: Map<String, Value>,
    pub custom_tools: Vec<String>,
    pub namespaces: Vec<(String, String)>,
}

impl ResponsesRequest {
    pub fn stream(&self) -> bool {
        self.stream.unwrap_or(false)
    }
}

fn stateless_error(what: &str, param: &str) -> GatewayError {
    GatewayError::invalid(
        format!("{what} is not supported: this model is served by translating to chat completions, which keeps no conversation state; send the whole conversation in 'input' (and 'store': false)"),
        Some(param.to_owned()),
    )
}

/// Translates `req` into a chat request.
pub fn to_chat(req: &ResponsesRequest, target: Target) -> Result<Translated, GatewayError> {
    if req
        .previous_response_id
        .as_deref()
        .is_some_and(|s| !s.is_empty())
    {
        return Err(stateless_error(
            "'previous_response_id'",
            "previous_response_id",
        ));
    }
    if req.conversation.as_ref().is_some_and(|c| !c.is_null()) {
        return Err(stateless_error("'conversation'", "conversation"));
    }
    if target == Target::Responses && req.store == Some(true) {
        return Err(stateless_error("'store': true", "store"));
    }
    let mut messages = Vec::new();
    if let Some(i) = req.instructions.as_deref().filter(|i| !i.is_empty()) {
        messages.push(json!({ "role": "system", "content": i }));
    }
    match &req.input {
        None => {}
        Some(Input::Text(s)) => messages.push(json!({ "role": "user", "content": s })),
        Some(Input::Items(items)) => input_items(items, &mut messages)?,
    }
    super::hoist_early_system(&mut messages);
    if messages.is_empty() {
        return Err(GatewayError::invalid(
            "'input' is missing or empty; send the conversation as a string or a list of items",
            Some("input".into()),
        ));
    }

    let mut out = Map::new();
    out.insert("model".into(), json!(req.model));
    out.insert("messages".into(), Value::Array(messages));
    let Tools {
        list: tools,
        custom: custom_tools,
        namespaces,
    } = tools(req.tools.as_deref().unwrap_or_default())?;
    if !tools.is_empty() {
        out.insert("tools".into(), Value::Array(tools));
        if let Some(choice) = req.tool_choice.as_ref().and_then(tool_choice) {
            out.insert("tool_choice".into(), choice);
        }
        if let Some(p) = req.parallel_tool_calls {
            out.insert("parallel_tool_calls".into(), json!(p));
        }
    }
    if let Some(n) = req.max_output_tokens {
        out.insert("max_tokens".into(), json!(n));
    }
    if let Some(t) = req.temperature {
        out.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        out.insert("top_p".into(), json!(p));
    }
    if let Some(u) = &req.user {
        out.insert("user".into(), json!(u));
    }
    if let Some(effort) = req.reasoning.as_ref().and_then(|r| r.effort.as_deref()) {
        if effort != "none" {
            out.insert("reasoning_effort".into(), json!(effort));
        }
    }
    if let Some(format) = req.text.as_ref().and_then(|t| t.format.as_ref()) {
        match format["type"].as_str() {
            Some("json_schema") => {
                let mut spec = json!({
                    "name": format["name"].as_str().unwrap_or("response"),
                    "schema": format.get("schema").cloned().unwrap_or_else(|| json!({})),
                });
                if let Some(s) = format.get("strict").filter(|s| s.is_boolean()) {
                    spec["strict"] = s.clone();
                }
                if let Some(d) = format["description"].as_str() {
                    spec["description"] = json!(d);
                }
                out.insert(
                    "response_format".into(),
                    json!({ "type": "json_schema", "json_schema": spec }),
                );
            }
            Some("json_object") => {
                out.insert("response_format".into(), json!({ "type": "json_object" }));
            }
            _ => {}
        }
    }
    if req.stream() {
        out.insert("stream".into(), json!(true));
        match target {
            Target::Responses => {
                out.insert("stream_options".into(), json!({ "include_usage": true }));
            }
            Target::Chat => {
                if let Some(o) = req.stream_options.as_ref().filter(|o| o.is_object()) {
                    out.insert("stream_options".into(), o.clone());
                }
            }
        }
    }
    Ok(Translated {
        body: out,
        custom_tools,
        namespaces,
    })
}

fn text_of_parts(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str().or(p["refusal"].as_str()))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// User content: plain text where possible, else chat content parts (text and images).
fn user_content(content: &Value) -> Value {
    let Value::Array(parts) = content else {
        return json!(text_of_parts(content));
    };
    let mut out = Vec::new();
    for p in parts {
        match p["type"].as_str() {
            Some("input_image") => {
                let url = p["image_url"].as_str().or(p["image_url"]["url"].as_str());
                if let Some(url) = url {
                    let mut image = json!({ "url": url });
                    if let Some(d) = p["detail"].as_str() {
                        image["detail"] = json!(d);
                    }
                    out.push(json!({ "type": "image_url", "image_url": image }));
                }
            }
            Some("input_file") => {
                if let Some(data) = p["file_data"].as_str() {
                    let mut file = json!({ "file_data": data });
                    if let Some(name) = p["filename"].as_str() {
                        file["filename"] = json!(name);
                    }
                    out.push(json!({ "type": "file", "file": file }));
                }
            }
            _ => {
                if let Some(t) = p["text"].as_str() {
                    out.push(json!({ "type": "text", "text": t }));
                }
            }
        }
    }
    if out.iter().all(|p| p["type"] == "text") {
        return json!(out
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"));
    }
    Value::Array(out)
}

fn required_str<'a>(item: &'a Value, field: &str, at: usize) -> Result<&'a str, GatewayError> {
    item[field].as_str().ok_or_else(|| {
        GatewayError::invalid(
            format!(
                "input[{at}] ({}) needs a string '{field}'",
                item["type"].as_str().unwrap_or("item")
            ),
            Some(format!("input[{at}].{field}")),
        )
    })
}

/// The last message, when it is an assistant turn that tool calls can join.
fn open_assistant(messages: &mut [Value]) -> Option<&mut Value> {
    messages.last_mut().filter(|m| m["role"] == "assistant")
}

fn input_items(items: &[Value], messages: &mut Vec<Value>) -> Result<(), GatewayError> {
    let mut reasoning = String::new();
    for (at, item) in items.iter().enumerate() {
        let kind = item["type"]
            .as_str()
            .unwrap_or(if item.get("role").is_some() {
                "message"
            } else {
                ""
            });
        match kind {
            "message" => {
                let role = item["role"].as_str().unwrap_or("");
                let content = &item["content"];
                let message = match role {
                    "user" => json!({ "role": "user", "content": user_content(content) }),
                    "system" | "developer" => {
                        json!({ "role": "system", "content": text_of_parts(content) })
                    }
                    "assistant" => {
                        let mut m = json!({ "role": "assistant", "content": text_of_parts(content) });
                        if !reasoning.is_empty() {
                            m["reasoning_content"] = json!(std::mem::take(&mut reasoning));
                        }
                        m
                    }
                    other => {
                        return Err(GatewayError::invalid(
                            format!("input[{at}].role must be user, assistant, system or developer, not '{other}'"),
                            Some(format!("input[{at}].role")),
                        ))
                    }
                };
                messages.push(message);
            }
            "function_call" | "custom_tool_call" => {
                let call_id = required_str(item, "call_id", at)?;
                let name = required_str(item, "name", at)?;
                let arguments = if kind == "custom_tool_call" {
                    json!({ "input": item["input"].as_str().unwrap_or("") }).to_string()
                } else {
                    item["arguments"].as_str().unwrap_or("{}").to_owned()
                };
                let call = json!({
                    "id": call_id, "type": "function",
                    "function": { "name": name, "arguments": arguments },
                });
                if open_assistant(messages).is_none() {
                    messages.push(json!({ "role": "assistant", "content": null }));
                }
                if let Some(m) = open_assistant(messages) {
                    if !reasoning.is_empty() && m.get("reasoning_content").is_none() {
                        m["reasoning_content"] = json!(std::mem::take(&mut reasoning));
                    }
                    match m["tool_calls"].as_array_mut() {
                        Some(calls) => calls.push(call),
                        None => m["tool_calls"] = json!([call]),
                    }
                }
            }
            "function_call_output" | "custom_tool_call_output" => {
                let call_id = required_str(item, "call_id", at)?;
                messages.push(json!({
                    "role": "tool", "tool_call_id": call_id,
                    "content": text_of_parts(&item["output"]),
                }));
            }
            "reasoning" => {
                for part in ["summary", "content"] {
                    for p in item[part].as_array().into_iter().flatten() {
                        if let Some(t) = p["text"].as_str() {
                            reasoning.push_str(t);
                        }
                    }
                }
            }
            "item_reference" => {
                return Err(stateless_error("'item_reference'", &format!("input[{at}]")))
            }
            // Hosted tools' items (web search, file search, …) have nothing to replay in chat.
            _ => {}
        }
    }
    Ok(())
}

/// The chat functions of a request's tools.
struct Tools {
    list: Vec<Value>,
    custom: Vec<String>,
    namespaces: Vec<(String, String)>,
}

/// Function and custom tools → chat functions; the functions inside a `namespace` tool join them
/// (their calls name the namespace again on the way back); hosted tools are dropped.
fn tools(list: &[Value]) -> Result<Tools, GatewayError> {
    let mut out = Tools {
        list: Vec::new(),
        custom: Vec::new(),
        namespaces: Vec::new(),
    };
    for (i, t) in list.iter().enumerate() {
        match t["type"].as_str() {
            Some("namespace") => {
                let ns = t["name"].as_str().unwrap_or("");
                for (j, inner) in t["tools"].as_array().into_iter().flatten().enumerate() {
                    let at = format!("tools[{i}].tools[{j}]");
                    if let Some(name) = tool(inner, &at, &mut out)? {
                        out.namespaces.push((name, ns.to_owned()));
                    }
                }
            }
            _ => {
                tool(t, &format!("tools[{i}]"), &mut out)?;
            }
        }
    }
    Ok(out)
}

/// Adds one function or custom tool; returns its name (`None` for hosted tools).
fn tool(t: &Value, at: &str, out: &mut Tools) -> Result<Option<String>, GatewayError> {
    let kind = t["type"].as_str().unwrap_or("");
    if kind != "function" && kind != "custom" {
        return Ok(None);
    }
    // Chat-shaped tools (`{"type":"function","function":{…}}`) are accepted too.
    let def = if t["function"].is_object() {
        &t["function"]
    } else {
        t
    };
    let name = def["name"].as_str().ok_or_else(|| {
        GatewayError::invalid(format!("{at} needs a 'name'"), Some(format!("{at}.name")))
    })?;
    let parameters = if kind == "custom" {
        out.custom.push(name.to_owned());
        json!({
            "type": "object",
            "properties": { "input": { "type": "string", "description": "The raw input for this tool." } },
            "required": ["input"],
        })
    } else if def["parameters"].is_object() {
        def["parameters"].clone()
    } else {
        json!({ "type": "object", "properties": {} })
    };
    let mut function = json!({ "name": name, "parameters": parameters });
    if let Some(d) = def["description"].as_str() {
        function["description"] = json!(d);
    }
    if let Some(s) = def.get("strict").filter(|s| s.is_boolean()) {
        function["strict"] = s.clone();
    }
    out.list
        .push(json!({ "type": "function", "function": function }));
    Ok(Some(name.to_owned()))
}

fn tool_choice(choice: &Value) -> Option<Value> {
    match choice {
        Value::String(s) if matches!(s.as_str(), "auto" | "none" | "required") => Some(json!(s)),
        Value::Object(o) => match o.get("type").and_then(Value::as_str) {
            Some("function") | Some("custom") => {
                let name = o
                    .get("name")
                    .or_else(|| o.get("function").and_then(|f| f.get("name")))
                    .and_then(Value::as_str)?;
                Some(json!({ "type": "function", "function": { "name": name } }))
            }
            Some("allowed_tools") if o.get("mode").and_then(Value::as_str) == Some("required") => {
                Some(json!("required"))
            }
            _ => Some(json!("auto")),
        },
        _ => None,
    }
}
