//! A `chat.completion` → a Responses API `response` object (the `/v1/responses` front door).
//!
//! Output items, in order: a `reasoning` item when the model reasoned (its text as `reasoning_text`
//! content), a `message` item with one `output_text` part, then one `function_call` item per tool call
//! (`custom_tool_call` with the raw `input` for free-form tools). `finish_reason: length` makes the
//! response `incomplete` with reason `max_output_tokens`. The response echoes the request's settings
//! (instructions, tools, tool_choice, …) as the API does; `store` is always false.

use serde_json::{json, Map, Value};

use super::{chat_text, id_suffix, reasoning_of, responses_usage};

/// What a response echoes from its request, and which tools are free-form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Echo {
    pub model: String,
    pub fields: Map<String, Value>,
    pub custom_tools: Vec<String>,
    /// Function name → the `namespace` tool it came from.
    pub namespaces: Vec<(String, String)>,
}

const ECHOED: &[&str] = &[
    "instructions",
    "max_output_tokens",
    "parallel_tool_calls",
    "reasoning",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_p",
    "user",
    "metadata",
];

impl Echo {
    /// The echo of a Responses request body and its translation's tool facts.
    pub fn of(
        raw: &Map<String, Value>,
        custom_tools: Vec<String>,
        namespaces: Vec<(String, String)>,
    ) -> Self {
        let fields = ECHOED
            .iter()
            .filter_map(|k| raw.get(*k).map(|v| ((*k).to_owned(), v.clone())))
            .collect();
        Echo {
            model: raw
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            fields,
            custom_tools,
            namespaces,
        }
    }

    fn get(&self, key: &str, default: Value) -> Value {
        self.fields
            .get(key)
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or(default)
    }

    /// The `response` object before any output: what `response.created` carries.
    pub fn skeleton(&self, id: &str, created_at: i64, status: &str) -> Value {
        let reasoning = self.get("reasoning", json!({}));
        let mut r = json!({
            "id": id,
            "object": "response",
            "created_at": created_at,
            "status": status,
            "background": false,
            "completed_at": null,
            "error": null,
            "incomplete_details": null,
            "instructions": self.get("instructions", Value::Null),
            "max_output_tokens": self.get("max_output_tokens", Value::Null),
            "max_tool_calls": null,
            "model": self.model,
            "output": [],
            "parallel_tool_calls": self.get("parallel_tool_calls", json!(true)),
            "previous_response_id": null,
            "reasoning": {
                "effort": reasoning.get("effort").cloned().unwrap_or(Value::Null),
                "summary": reasoning.get("summary").cloned().unwrap_or(Value::Null),
            },
            "service_tier": "default",
            "store": false,
            "temperature": self.get("temperature", json!(1.0)),
            "text": self.get("text", json!({ "format": { "type": "text" } })),
            "tool_choice": self.get("tool_choice", json!("auto")),
            "tools": self.get("tools", json!([])),
            "top_p": self.get("top_p", json!(1.0)),
            "truncation": "disabled",
            "metadata": self.get("metadata", json!({})),
        });
        // `user` is a string or absent (the spec has no null for it).
        if let Some(user) = self.fields.get("user").filter(|u| u.is_string()) {
            r["user"] = user.clone();
        }
        r
    }

    pub fn is_custom(&self, name: &str) -> bool {
        self.custom_tools.iter().any(|t| t == name)
    }

    pub fn namespace(&self, name: &str) -> Option<&str> {
        self.namespaces
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, ns)| ns.as_str())
    }
}

/// Item ids derived from the completion id: `rs_X`, `msg_X`, `fc_X_0`, …
pub fn item_id(prefix: &str, base: &str, n: Option<usize>) -> String {
    match n {
        Some(n) => format!("{prefix}_{base}_{n}"),
        None => format!("{prefix}_{base}"),
    }
}

pub fn reasoning_item(id: &str, text: &str) -> Value {
    json!({
        "type": "reasoning", "id": id, "summary": [],
        "content": [{ "type": "reasoning_text", "text": text }],
        "status": "completed",
    })
}

pub fn message_item(id: &str, text: &str, status: &str) -> Value {
    json!({
        "type": "message", "id": id, "status": status, "role": "assistant",
        "content": [{ "type": "output_text", "text": text, "annotations": [], "logprobs": [] }],
    })
}

/// The input of a free-form tool call from the chat arguments `{"input": "…"}`.
pub fn custom_input(arguments: &str) -> String {
    serde_json::from_str::<Value>(arguments)
        .ok()
        .and_then(|v| v["input"].as_str().map(str::to_owned))
        .unwrap_or_else(|| arguments.to_owned())
}

pub fn call_item(
    echo: &Echo,
    id: &str,
    call_id: &str,
    name: &str,
    arguments: &str,
    status: &str,
) -> Value {
    if echo.is_custom(name) {
        json!({
            "type": "custom_tool_call", "id": id, "call_id": call_id, "name": name,
            "input": custom_input(arguments), "status": status,
        })
    } else {
        let mut item = json!({
            "type": "function_call", "id": id, "call_id": call_id, "name": name,
            "arguments": arguments, "status": status,
        });
        if let Some(ns) = echo.namespace(name) {
            item["namespace"] = json!(ns);
        }
        item
    }
}

/// Sets `status` and `incomplete_details` from a chat finish reason.
pub fn finish_response(response: &mut Value, finish: &str) {
    let reason = match finish {
        "length" => Some("max_output_tokens"),
        "content_filter" => Some("content_filter"),
        _ => None,
    };
    match reason {
        Some(r) => {
            response["status"] = json!("incomplete");
            response["incomplete_details"] = json!({ "reason": r });
        }
        None => response["status"] = json!("completed"),
    }
}

/// A `chat.completion` → a `response`.
pub fn chat_to_response(chat: &Value, echo: &Echo) -> Value {
    let base = id_suffix(chat["id"].as_str().unwrap_or("0")).to_owned();
    let created = chat["created"].as_i64().unwrap_or(0);
    let mut response = echo.skeleton(&item_id("resp", &base, None), created, "completed");
    let choice = &chat["choices"][0];
    let message = &choice["message"];
    let mut output = Vec::new();
    if let Some(r) = reasoning_of(message) {
        output.push(reasoning_item(&item_id("rs", &base, None), r));
    }
    let text = chat_text(&message["content"]);
    let calls = message["tool_calls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let finish = choice["finish_reason"].as_str().unwrap_or("stop");
    if !text.is_empty() || calls.is_empty() {
        let status = if finish == "length" {
            "incomplete"
        } else {
            "completed"
        };
        output.push(message_item(&item_id("msg", &base, None), &text, status));
    }
    for (n, call) in calls.iter().enumerate() {
        let f = &call["function"];
        output.push(call_item(
            echo,
            &item_id("fc", &base, Some(n)),
            call["id"].as_str().unwrap_or(""),
            f["name"].as_str().unwrap_or(""),
            f["arguments"].as_str().unwrap_or("{}"),
            "completed",
        ));
    }
    response["output"] = Value::Array(output);
    finish_response(&mut response, finish);
    response["completed_at"] = json!(created);
    if chat["usage"].is_object() {
        response["usage"] = responses_usage(&chat["usage"]);
    }
    response
}
