//! Chat completion chunks → Responses API stream events (the `/v1/responses` front door).
//!
//! Sequence: `response.created`, `response.in_progress`; per output item `response.output_item.added`,
//! its content (`response.content_part.added` → `response.output_text.delta`* →
//! `response.output_text.done` → `response.content_part.done` for text; the same with
//! `reasoning_text` for reasoning; `response.function_call_arguments.delta`* → `.done` for a function
//! call), `response.output_item.done`; finally `response.completed` (or `response.incomplete`) with
//! the whole output and usage. Every event is named and numbered (`sequence_number` from 0); no
//! `[DONE]`. Free-form (`custom`) tool calls are sent whole when they end, as
//! `response.custom_tool_call_input.delta`/`.done`, because their chat arguments are JSON around the
//! input. An `{"error":…}` chunk becomes an `error` event followed by `response.failed`.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::responses_reply::{
    call_item, custom_input, finish_response, item_id, message_item, reasoning_item, Echo,
};
use super::{id_suffix, reasoning_of, responses_usage, Emit, SseEvent, Translator};

#[derive(Debug)]
enum Item {
    Reasoning {
        id: String,
        text: String,
    },
    Message {
        id: String,
        text: String,
    },
    Call {
        id: String,
        call_id: String,
        name: String,
        args: String,
        tool_index: u64,
    },
}

#[derive(Debug)]
pub struct ChatToResponses {
    echo: Echo,
    base: String,
    response: Value,
    seq: u64,
    started: bool,
    ended: bool,
    output: Vec<Value>,
    open: Option<Item>,
    tool_ids: HashMap<u64, String>,
    calls: usize,
    finish: Option<String>,
    usage: Option<Value>,
}

impl ChatToResponses {
    pub fn new(echo: Echo) -> Self {
        ChatToResponses {
            echo,
            base: "0".into(),
            response: Value::Null,
            seq: 0,
            started: false,
            ended: false,
            output: Vec::new(),
            open: None,
            tool_ids: HashMap::new(),
            calls: 0,
            finish: None,
            usage: None,
        }
    }

    fn emit(&mut self, out: &mut Vec<Emit>, kind: &'static str, mut data: Value) {
        let mut event = json!({ "type": kind });
        if let (Some(e), Some(d)) = (event.as_object_mut(), data.as_object_mut()) {
            e.append(d);
            e.insert("sequence_number".into(), json!(self.seq));
        }
        self.seq += 1;
        out.push(Emit::Named(kind, event));
    }

    fn start(&mut self, chunk: &Value, out: &mut Vec<Emit>) {
        if self.started {
            return;
        }
        self.started = true;
        self.base = id_suffix(chunk["id"].as_str().unwrap_or("0")).to_owned();
        let created = chunk["created"].as_i64().unwrap_or(0);
        self.response =
            self.echo
                .skeleton(&item_id("resp", &self.base, None), created, "in_progress");
        let r = self.response.clone();
        self.emit(out, "response.created", json!({ "response": r }));
        self.emit(out, "response.in_progress", json!({ "response": r }));
    }

    /// An id for a new item of `prefix`; the first of its kind gets the plain derived id.
    fn new_id(&self, prefix: &str) -> String {
        let plain = item_id(prefix, &self.base, None);
        let taken = self.output.iter().any(|i| i["id"] == plain.as_str());
        if taken {
            item_id(prefix, &self.base, Some(self.output.len()))
        } else {
            plain
        }
    }

    fn close(&mut self, out: &mut Vec<Emit>) {
        let Some(item) = self.open.take() else {
            return;
        };
        let index = self.output.len();
        let done = match item {
            Item::Reasoning { id, text } => {
                let part = json!({ "type": "reasoning_text", "text": text });
                let common = json!({ "item_id": id, "output_index": index, "content_index": 0 });
                let mut d = common.clone();
                d["text"] = json!(text);
                self.emit(out, "response.reasoning_text.done", d);
                let mut d = common;
                d["part"] = part;
                self.emit(out, "response.content_part.done", d);
                reasoning_item(&id, &text)
            }
            Item::Message { id, text } => {
                let common = json!({ "item_id": id, "output_index": index, "content_index": 0 });
                let mut d = common.clone();
                d["text"] = json!(text);
                d["logprobs"] = json!([]);
                self.emit(out, "response.output_text.done", d);
                let mut d = common;
                d["part"] = json!({ "type": "output_text", "text": text, "annotations": [], "logprobs": [] });
                self.emit(out, "response.content_part.done", d);
                message_item(&id, &text, "completed")
            }
            Item::Call {
                id,
                call_id,
                name,
                args,
                ..
            } => {
                if self.echo.is_custom(&name) {
                    let input = custom_input(&args);
                    let common = json!({ "item_id": id, "output_index": index });
                    let mut d = common.clone();
                    d["delta"] = json!(input);
                    self.emit(out, "response.custom_tool_call_input.delta", d);
                    let mut d = common;
                    d["input"] = json!(input);
                    self.emit(out, "response.custom_tool_call_input.done", d);
                } else {
                    let d = json!({ "item_id": id, "output_index": index, "name": name, "arguments": args });
                    self.emit(out, "response.function_call_arguments.done", d);
                }
                call_item(&self.echo, &id, &call_id, &name, &args, "completed")
            }
        };
        self.emit(
            out,
            "response.output_item.done",
            json!({ "output_index": index, "item": done }),
        );
        self.output.push(done);
    }

    fn open_item(&mut self, item: Item, out: &mut Vec<Emit>) {
        self.close(out);
        let index = self.output.len();
        let added = match &item {
            Item::Reasoning { id, .. } => {
                json!({ "type": "reasoning", "id": id, "summary": [], "content": [], "status": "in_progress" })
            }
            Item::Message { id, .. } => json!({
                "type": "message", "id": id, "status": "in_progress", "role": "assistant", "content": [],
            }),
            Item::Call {
                id, call_id, name, ..
            } => call_item(&self.echo, id, call_id, name, "", "in_progress"),
        };
        self.emit(
            out,
            "response.output_item.added",
            json!({ "output_index": index, "item": added }),
        );
        let part = match &item {
            Item::Reasoning { id, .. } => {
                Some((id.clone(), json!({ "type": "reasoning_text", "text": "" })))
            }
            Item::Message { id, .. } => Some((
                id.clone(),
                json!({ "type": "output_text", "text": "", "annotations": [], "logprobs": [] }),
            )),
            Item::Call { .. } => None,
        };
        if let Some((id, part)) = part {
            let d =
                json!({ "item_id": id, "output_index": index, "content_index": 0, "part": part });
            self.emit(out, "response.content_part.added", d);
        }
        self.open = Some(item);
    }

    fn reasoning(&mut self, delta: &str, out: &mut Vec<Emit>) {
        if !matches!(self.open, Some(Item::Reasoning { .. })) {
            let id = self.new_id("rs");
            self.open_item(
                Item::Reasoning {
                    id,
                    text: String::new(),
                },
                out,
            );
        }
        let index = self.output.len();
        if let Some(Item::Reasoning { id, text }) = &mut self.open {
            text.push_str(delta);
            let d =
                json!({ "item_id": id, "output_index": index, "content_index": 0, "delta": delta });
            self.emit(out, "response.reasoning_text.delta", d);
        }
    }

    fn text(&mut self, delta: &str, out: &mut Vec<Emit>) {
        if !matches!(self.open, Some(Item::Message { .. })) {
            let id = self.new_id("msg");
            self.open_item(
                Item::Message {
                    id,
                    text: String::new(),
                },
                out,
            );
        }
        let index = self.output.len();
        if let Some(Item::Message { id, text }) = &mut self.open {
            text.push_str(delta);
            let d = json!({
                "item_id": id, "output_index": index, "content_index": 0, "delta": delta, "logprobs": [],
            });
            self.emit(out, "response.output_text.delta", d);
        }
    }

    fn tool_fragment(&mut self, call: &Value, out: &mut Vec<Emit>) {
        let tool_index = call["index"].as_u64().unwrap_or(0);
        let id = call["id"].as_str().filter(|s| !s.is_empty());
        let is_new = match (id, self.tool_ids.get(&tool_index)) {
            (Some(id), Some(known)) => id != known,
            (_, None) => true,
            (None, Some(_)) => false,
        };
        let f = &call["function"];
        if is_new {
            let call_id = id
                .map(str::to_owned)
                .unwrap_or_else(|| format!("call_{}_{}", self.base, self.calls));
            self.tool_ids.insert(tool_index, call_id.clone());
            let item_id = item_id("fc", &self.base, Some(self.calls));
            self.calls += 1;
            let name = f["name"].as_str().unwrap_or("").to_owned();
            self.open_item(
                Item::Call {
                    id: item_id,
                    call_id,
                    name,
                    args: String::new(),
                    tool_index,
                },
                out,
            );
        }
        let Some(piece) = f["arguments"].as_str().filter(|a| !a.is_empty()) else {
            return;
        };
        let index = self.output.len();
        let custom = match &self.open {
            Some(Item::Call { name, .. }) => self.echo.is_custom(name),
            _ => false,
        };
        if let Some(Item::Call {
            id,
            args,
            tool_index: open_index,
            ..
        }) = &mut self.open
        {
            if *open_index != tool_index {
                return;
            }
            args.push_str(piece);
            if !custom {
                let d = json!({ "item_id": id, "output_index": index, "delta": piece });
                self.emit(out, "response.function_call_arguments.delta", d);
            }
        }
    }

    fn chunk(&mut self, chunk: &Value, out: &mut Vec<Emit>) {
        self.start(chunk, out);
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
            self.reasoning(r, out);
        }
        if let Some(t) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            self.text(t, out);
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
        self.start(&Value::Null, out);
        self.close(out);
        self.ended = true;
        let mut response = self.response.clone();
        response["output"] = Value::Array(std::mem::take(&mut self.output));
        finish_response(&mut response, self.finish.as_deref().unwrap_or("stop"));
        response["completed_at"] = response["created_at"].clone();
        if let Some(u) = &self.usage {
            response["usage"] = responses_usage(u);
        }
        let kind = if response["status"] == "incomplete" {
            "response.incomplete"
        } else {
            "response.completed"
        };
        self.emit(out, kind, json!({ "response": response }));
    }

    fn fail(&mut self, err: &Value, out: &mut Vec<Emit>) {
        self.start(&Value::Null, out);
        self.ended = true;
        let message = err["message"]
            .as_str()
            .unwrap_or("the upstream failed mid-stream");
        let code = err["code"]
            .as_str()
            .or(err["type"].as_str())
            .unwrap_or("server_error");
        self.emit(
            out,
            "error",
            json!({ "code": code, "message": message, "param": err["param"] }),
        );
        let mut response = self.response.clone();
        response["status"] = json!("failed");
        response["error"] = json!({ "code": "server_error", "message": message });
        self.emit(out, "response.failed", json!({ "response": response }));
    }
}

impl Translator for ChatToResponses {
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
        match chunk.get("error").filter(|e| !e.is_null()) {
            Some(err) => self.fail(err, &mut out),
            None => self.chunk(&chunk, &mut out),
        }
        out
    }

    fn finish(&mut self) -> Vec<Emit> {
        let mut out = Vec::new();
        self.end(&mut out);
        out
    }
}
