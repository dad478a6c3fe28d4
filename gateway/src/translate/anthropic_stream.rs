//! Chat completion chunks → Anthropic's named stream events (the `/v1/messages` front door).
//!
//! Sequence (spec §7.3): `message_start`, `ping`, then per content block `content_block_start` →
//! `content_block_delta`* → `content_block_stop` with strictly increasing indices (thinking, text and
//! each tool call are separate blocks, and a block is closed before the next one opens), then
//! `message_delta` with the stop reason and the usage, and `message_stop`. OpenAI sends usage *after*
//! the finish reason, so `message_delta` waits for `[DONE]` (or the end of the source).
//! Tool-call fragments: a fragment with a new `id` (or an index not seen yet) opens a `tool_use` block;
//! `arguments` pieces become `input_json_delta`s. An `{"error":…}` event becomes `event: error`.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::anthropic_reply::anthropic_error;
use super::{anthropic_usage, id_suffix, reasoning_of, stop_reason_of, Emit, SseEvent, Translator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Thinking,
    Text,
    /// A tool call, by its chat `index`.
    Tool(u64),
}

/// The translation state of one stream.
#[derive(Debug)]
pub struct ChatToAnthropic {
    model: String,
    started: bool,
    ended: bool,
    next_block: u64,
    open: Option<(Open, u64)>,
    /// Chat tool index → the id of the call currently using it.
    tool_ids: HashMap<u64, String>,
    made_calls: bool,
    finish: Option<String>,
    usage: Option<Value>,
}

impl ChatToAnthropic {
    /// A translation answering a request for `model` (echoed in `message_start`).
    pub fn new(model: impl Into<String>) -> Self {
        ChatToAnthropic {
            model: model.into(),
            started: false,
            ended: false,
            next_block: 0,
            open: None,
            tool_ids: HashMap::new(),
            made_calls: false,
            finish: None,
            usage: None,
        }
    }

    fn start(&mut self, chunk_id: &str, out: &mut Vec<Emit>) {
        if self.started {
            return;
        }
        self.started = true;
        out.push(Emit::Named(
            "message_start",
            json!({
                "type": "message_start",
                "message": {
                    "id": format!("msg_{}", id_suffix(chunk_id)),
                    "type": "message",
                    "role": "assistant",
                    "model": self.model,
                    "content": [],
                    "stop_reason": null,
                    "stop_sequence": null,
                    "usage": {
                        "input_tokens": 0, "output_tokens": 0,
                        "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                    },
                },
            }),
        ));
        out.push(Emit::Named("ping", json!({ "type": "ping" })));
    }

    fn close(&mut self, out: &mut Vec<Emit>) {
        if let Some((_, index)) = self.open.take() {
            out.push(Emit::Named(
                "content_block_stop",
                json!({ "type": "content_block_stop", "index": index }),
            ));
        }
    }

    /// Makes `kind` the open block, opening it with `block` when it is not open already; returns its index.
    fn ensure(&mut self, kind: Open, block: Value, out: &mut Vec<Emit>) -> u64 {
        if let Some((open, index)) = self.open {
            if open == kind {
                return index;
            }
        }
        self.close(out);
        let index = self.next_block;
        self.next_block += 1;
        self.open = Some((kind, index));
        out.push(Emit::Named(
            "content_block_start",
            json!({ "type": "content_block_start", "index": index, "content_block": block }),
        ));
        index
    }

    fn delta(index: u64, delta: Value) -> Emit {
        Emit::Named(
            "content_block_delta",
            json!({ "type": "content_block_delta", "index": index, "delta": delta }),
        )
    }

    fn tool_fragment(&mut self, call: &Value, out: &mut Vec<Emit>) {
        let tool_index = call["index"].as_u64().unwrap_or(0);
        let id = call["id"].as_str().filter(|s| !s.is_empty());
        let known = self.tool_ids.get(&tool_index);
        let is_new = match (id, known) {
            (Some(id), Some(k)) => id != k,
            (_, None) => true,
            (None, Some(_)) => false,
        };
        let f = &call["function"];
        if is_new {
            let id = id
                .map(str::to_owned)
                .unwrap_or_else(|| format!("toolu_{:02}_{}", tool_index, self.next_block));
            self.tool_ids.insert(tool_index, id.clone());
            self.made_calls = true;
            // A new call always opens a new block, even with the same chat index (Ollama reuses 0).
            self.close(out);
            self.ensure(
                Open::Tool(tool_index),
                json!({
                    "type": "tool_use", "id": id,
                    "name": f["name"].as_str().unwrap_or(""), "input": {},
                }),
                out,
            );
        }
        let Some(args) = f["arguments"].as_str().filter(|a| !a.is_empty()) else {
            return;
        };
        match self.open {
            Some((Open::Tool(i), index)) if i == tool_index => out.push(Self::delta(
                index,
                json!({ "type": "input_json_delta", "partial_json": args }),
            )),
            // Fragments of a call whose block was already closed (interleaved calls) cannot be
            // placed; Anthropic blocks are sequential. No known server interleaves.
            _ => {}
        }
    }

    fn chunk(&mut self, chunk: &Value, out: &mut Vec<Emit>) {
        self.start(chunk["id"].as_str().unwrap_or("0"), out);
        if chunk["usage"].is_object() {
            self.usage = Some(chunk["usage"].clone());
        }
        let Some(choice) = chunk["choices"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["index"].as_u64().unwrap_or(0) == 0))
        else {
            return;
        };
        let delta = &choice["delta"];
        if let Some(r) = reasoning_of(delta) {
            let index = self.ensure(
                Open::Thinking,
                json!({ "type": "thinking", "thinking": "", "signature": "" }),
                out,
            );
            out.push(Self::delta(
                index,
                json!({ "type": "thinking_delta", "thinking": r }),
            ));
        }
        if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            let index = self.ensure(Open::Text, json!({ "type": "text", "text": "" }), out);
            out.push(Self::delta(
                index,
                json!({ "type": "text_delta", "text": text }),
            ));
        }
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            self.tool_fragment(call, out);
        }
        if let Some(f) = choice["finish_reason"].as_str() {
            self.finish = Some(f.to_owned());
            self.close(out);
        }
    }

    fn end(&mut self, out: &mut Vec<Emit>) {
        if self.ended {
            return;
        }
        self.start("0", out);
        self.close(out);
        self.ended = true;
        let stop = stop_reason_of(self.finish.as_deref().unwrap_or("stop"), self.made_calls);
        let usage = anthropic_usage(self.usage.as_ref().unwrap_or(&Value::Null));
        out.push(Emit::Named(
            "message_delta",
            json!({
                "type": "message_delta",
                "delta": { "stop_reason": stop, "stop_sequence": null },
                "usage": usage,
            }),
        ));
        out.push(Emit::Named(
            "message_stop",
            json!({ "type": "message_stop" }),
        ));
    }
}

impl Translator for ChatToAnthropic {
    fn event(&mut self, event: &SseEvent) -> Vec<Emit> {
        let mut out = Vec::new();
        if self.ended {
            return out;
        }
        if event.is_done() {
            self.end(&mut out);
            return out;
        }
        let Some(chunk) = event.json() else {
            return out;
        };
        if let Some(err) = chunk.get("error").filter(|e| !e.is_null()) {
            let message = err["message"]
                .as_str()
                .unwrap_or("the upstream failed mid-stream");
            let mut body = anthropic_error(500, message);
            if err["type"] == "rate_limit_error" {
                body["error"]["type"] = json!("rate_limit_error");
            }
            self.close(&mut out);
            self.ended = true;
            out.push(Emit::Named("error", body));
            return out;
        }
        self.chunk(&chunk, &mut out);
        out
    }

    fn finish(&mut self) -> Vec<Emit> {
        let mut out = Vec::new();
        self.end(&mut out);
        out
    }
}
