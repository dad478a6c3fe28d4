//! Anthropic's named stream events → `chat.completion.chunk`s (the `anthropic` provider kind).
//!
//! `message_start` → the role chunk; `text_delta` → `delta.content`; `thinking_delta` →
//! `delta.reasoning_content`; a `tool_use` block start → a tool-call fragment with a fresh 0-based
//! `index` (separate from Anthropic's block index), `id`, `type`, `name` and empty `arguments`;
//! `input_json_delta` → `arguments` fragments; `message_delta` → the finish reason and output tokens;
//! `message_stop` → the finish chunk, the usage chunk when the client asked for it
//! (`stream_options.include_usage`), `[DONE]`. `ping` and unknown events are skipped; `error` becomes
//! `data: {"error":…}`. With the `json_response` tool of a `json_schema` request, that tool's input
//! streams as content.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::anthropic_out::JSON_TOOL;
use super::{finish_reason_of, id_suffix, openai_usage, Emit, SseEvent, Translator};

/// Where the deltas of an Anthropic content block go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    Tool(u64),
    Content,
}

#[derive(Debug)]
pub struct AnthropicToChat {
    id: String,
    model: String,
    created: i64,
    include_usage: bool,
    json_tool: bool,
    started: bool,
    ended: bool,
    blocks: HashMap<u64, Sink>,
    tools: u64,
    finish: Option<&'static str>,
    usage: Value,
}

impl AnthropicToChat {
    /// `created` stamps every chunk; `include_usage` mirrors the client's `stream_options`.
    pub fn new(created: i64, include_usage: bool, json_tool: bool) -> Self {
        AnthropicToChat {
            id: "chatcmpl-0".into(),
            model: String::new(),
            created,
            include_usage,
            json_tool,
            started: false,
            ended: false,
            blocks: HashMap::new(),
            tools: 0,
            finish: None,
            usage: json!({}),
        }
    }

    fn chunk(&self, delta: Value, finish: Option<&str>) -> Emit {
        let mut c = json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model,
            "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }],
        });
        if self.include_usage {
            c["usage"] = Value::Null;
        }
        Emit::Data(c)
    }

    fn start(&mut self, message: &Value, out: &mut Vec<Emit>) {
        if self.started {
            return;
        }
        self.started = true;
        if let Some(id) = message["id"].as_str() {
            self.id = format!("chatcmpl-{}", id_suffix(id));
        }
        if let Some(m) = message["model"].as_str() {
            self.model = m.to_owned();
        }
        self.merge_usage(&message["usage"]);
        out.push(self.chunk(json!({ "role": "assistant", "content": "" }), None));
    }

    fn merge_usage(&mut self, usage: &Value) {
        if let (Some(u), Value::Object(acc)) = (usage.as_object(), &mut self.usage) {
            for (k, v) in u {
                if v.is_u64() {
                    acc.insert(k.clone(), v.clone());
                }
            }
        }
    }

    fn block_start(&mut self, data: &Value, out: &mut Vec<Emit>) {
        let index = data["index"].as_u64().unwrap_or(0);
        let block = &data["content_block"];
        match block["type"].as_str() {
            Some("text") => {
                self.blocks.insert(index, Sink::Content);
                if let Some(t) = block["text"].as_str().filter(|t| !t.is_empty()) {
                    out.push(self.chunk(json!({ "content": t }), None));
                }
            }
            Some("tool_use") if self.json_tool && block["name"] == JSON_TOOL => {
                self.blocks.insert(index, Sink::Content);
            }
            Some("tool_use") => {
                let tool = self.tools;
                self.tools += 1;
                self.blocks.insert(index, Sink::Tool(tool));
                // The input is `{}` at the start and arrives as `input_json_delta`s; a server that
                // sends it whole at the start is honoured too.
                let arguments = match &block["input"] {
                    Value::Object(o) if !o.is_empty() => block["input"].to_string(),
                    _ => String::new(),
                };
                out.push(self.chunk(
                    json!({ "tool_calls": [{
                        "index": tool, "id": block["id"], "type": "function",
                        "function": { "name": block["name"], "arguments": arguments },
                    }]}),
                    None,
                ));
            }
            _ => {}
        }
    }

    fn block_delta(&mut self, data: &Value, out: &mut Vec<Emit>) {
        let index = data["index"].as_u64().unwrap_or(0);
        let delta = &data["delta"];
        match (delta["type"].as_str(), self.blocks.get(&index)) {
            (Some("text_delta"), _) => {
                if let Some(t) = delta["text"].as_str().filter(|t| !t.is_empty()) {
                    out.push(self.chunk(json!({ "content": t }), None));
                }
            }
            (Some("thinking_delta"), _) => {
                if let Some(t) = delta["thinking"].as_str().filter(|t| !t.is_empty()) {
                    out.push(self.chunk(json!({ "reasoning_content": t }), None));
                }
            }
            (Some("input_json_delta"), Some(sink)) => {
                let Some(p) = delta["partial_json"].as_str().filter(|p| !p.is_empty()) else {
                    return;
                };
                let d = match sink {
                    Sink::Content => json!({ "content": p }),
                    Sink::Tool(tool) => json!({ "tool_calls": [{
                        "index": tool, "function": { "arguments": p },
                    }]}),
                };
                out.push(self.chunk(d, None));
            }
            _ => {}
        }
    }

    fn end(&mut self, out: &mut Vec<Emit>) {
        self.ended = true;
        let mut finish = self.finish.unwrap_or("stop");
        if self.json_tool && finish == "tool_calls" && self.tools == 0 {
            finish = "stop";
        }
        out.push(self.chunk(json!({}), Some(finish)));
        if self.include_usage {
            let mut last = json!({
                "id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "choices": [],
            });
            last["usage"] = openai_usage(&self.usage);
            out.push(Emit::Data(last));
        }
        out.push(Emit::Done);
    }
}

impl Translator for AnthropicToChat {
    fn event(&mut self, event: &SseEvent) -> Vec<Emit> {
        let mut out = Vec::new();
        if self.ended {
            return out;
        }
        let Some(data) = event.json() else {
            return out;
        };
        // The event name and `type` agree on Anthropic's stream; `type` is what every event carries.
        let kind = data["type"]
            .as_str()
            .or(event.event.as_deref())
            .unwrap_or("");
        match kind {
            "message_start" => self.start(&data["message"], &mut out),
            "content_block_start" => {
                self.start(&Value::Null, &mut out);
                self.block_start(&data, &mut out);
            }
            "content_block_delta" => self.block_delta(&data, &mut out),
            "message_delta" => {
                if let Some(s) = data["delta"]["stop_reason"].as_str() {
                    self.finish = Some(finish_reason_of(s));
                }
                self.merge_usage(&data["usage"]);
            }
            "message_stop" => {
                self.start(&Value::Null, &mut out);
                self.end(&mut out);
            }
            "error" => {
                self.ended = true;
                let e = &data["error"];
                let kind = match e["type"].as_str() {
                    Some("rate_limit_error") => "rate_limit_error",
                    Some("invalid_request_error") => "invalid_request_error",
                    _ => "upstream_error",
                };
                out.push(Emit::Data(json!({ "error": {
                    "message": e["message"].as_str().unwrap_or("the upstream failed mid-stream"),
                    "type": kind, "param": null, "code": e["type"],
                }})));
            }
            _ => {}
        }
        out
    }

    fn finish(&mut self) -> Vec<Emit> {
        if self.ended {
            return Vec::new();
        }
        self.ended = true;
        vec![Emit::Data(json!({ "error": {
            "message": "the anthropic stream ended before message_stop; the upstream closed the connection early",
            "type": "upstream_error", "param": null, "code": null,
        }}))]
    }
}
