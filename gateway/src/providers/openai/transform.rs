//! Responses, edited only where a quirk says so (otherwise the upstream's bytes pass through):
//! - Azure's first stream chunk with empty `choices` and only `prompt_filter_results` (empty `id` and
//!   `model`) is dropped: clients that read `choices[0]` crash on it;
//! - `reasoning` (vLLM, Ollama, OpenRouter) is mirrored into `reasoning_content` for clients written
//!   for DeepSeek, in JSON bodies and stream deltas;
//! - when an upstream refuses `stream_options`, the usage chunk a client asked for with
//!   `include_usage` is made here: the upstream's own usage numbers if it sent any, else prompt and
//!   completion tokens counted with the `cl100k_base` tokenizer, as `{"choices":[],"usage":…}`
//!   before `[DONE]`.
//!
//! Events are cut with [`crate::sse::EventSplitter`], so an event split across network chunks is
//! handled whole; events that need no change are forwarded byte for byte.

use bytes::{Bytes, BytesMut};
use serde_json::{json, Map, Value};

use crate::providers::mock::tokens;
use crate::providers::{Call, Typed};
use crate::sse::{self, EventSplitter};
use crate::wire::TextOrTokens;

/// What to do to a stream.
#[derive(Debug, Default, Clone)]
pub struct StreamPlan {
    pub drop_filter_chunks: bool,
    pub reasoning_alias: bool,
    /// Prompt tokens of the request when the gateway must add the usage chunk.
    pub usage_prompt_tokens: Option<u32>,
    /// `chat.completion.chunk` or `text_completion`.
    pub object: &'static str,
}

impl StreamPlan {
    pub fn is_active(&self) -> bool {
        self.drop_filter_chunks || self.reasoning_alias || self.usage_prompt_tokens.is_some()
    }
}

/// Applies a [`StreamPlan`] to a byte stream.
pub struct StreamEditor {
    plan: StreamPlan,
    splitter: EventSplitter,
    /// Everything the model produced so far (content, reasoning, tool arguments), for counting.
    produced: String,
    upstream_usage: Option<Value>,
    id: Option<Value>,
    created: Option<Value>,
    model: Option<Value>,
    usage_sent: bool,
}

impl StreamEditor {
    pub fn new(plan: StreamPlan) -> Self {
        StreamEditor {
            plan,
            splitter: EventSplitter::new(),
            produced: String::new(),
            upstream_usage: None,
            id: None,
            created: None,
            model: None,
            usage_sent: false,
        }
    }

    /// The bytes to forward for one upstream chunk (possibly none, while an event is incomplete).
    pub fn push(&mut self, chunk: &[u8]) -> Bytes {
        let mut out = BytesMut::new();
        for event in self.splitter.push(chunk) {
            self.event(event, &mut out);
        }
        out.freeze()
    }

    /// The bytes to forward once the upstream ended: an unterminated last event as it was, and the
    /// usage chunk if the stream never reached `[DONE]`.
    pub fn finish(&mut self) -> Bytes {
        let mut out = BytesMut::new();
        if let Some(rest) = self.splitter.finish() {
            out.extend_from_slice(&rest);
        }
        if let Some(usage) = self.usage_event() {
            // End an unterminated last event first, or the usage would join it.
            if !out.is_empty() && !out.ends_with(b"\n\n") {
                out.extend_from_slice(if out.ends_with(b"\n") { b"\n" } else { b"\n\n" });
            }
            out.extend_from_slice(&usage);
        }
        out.freeze()
    }

    fn event(&mut self, event: Bytes, out: &mut BytesMut) {
        let Some(data) = sse::event_data(&event) else {
            out.extend_from_slice(&event);
            return;
        };
        if data.trim() == "[DONE]" {
            if let Some(usage) = self.usage_event() {
                out.extend_from_slice(&usage);
            }
            out.extend_from_slice(&event);
            return;
        }
        let counting = self.plan.usage_prompt_tokens.is_some();
        let filter = self.plan.drop_filter_chunks && data.contains("\"prompt_filter_results\"");
        let alias = self.plan.reasoning_alias && data.contains("\"reasoning\"");
        if !(counting || filter || alias) {
            out.extend_from_slice(&event);
            return;
        }
        let Ok(Value::Object(mut chunk)) = serde_json::from_str::<Value>(&data) else {
            out.extend_from_slice(&event);
            return;
        };
        if filter && is_filter_only(&chunk) {
            return;
        }
        if counting {
            self.observe(&chunk);
        }
        if alias && alias_choices(&mut chunk, "delta") {
            out.extend_from_slice(&sse::data_event(&chunk));
        } else {
            out.extend_from_slice(&event);
        }
    }

    fn observe(&mut self, chunk: &Map<String, Value>) {
        for (field, slot) in [
            ("id", &mut self.id),
            ("created", &mut self.created),
            ("model", &mut self.model),
        ] {
            match chunk.get(field) {
                Some(Value::String(s)) if s.is_empty() => {}
                Some(Value::Number(n)) if n.as_i64() == Some(0) => {}
                Some(v) if slot.is_none() => *slot = Some(v.clone()),
                _ => {}
            }
        }
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            self.upstream_usage = Some(usage.clone());
            // The upstream made the usage chunk itself: nothing to add.
            if chunk
                .get("choices")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                self.usage_sent = true;
            }
        }
        for choice in chunk
            .get("choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(Value::String(text)) = choice.get("text") {
                self.produced.push_str(text);
            }
            let Some(delta) = choice.get("delta") else {
                continue;
            };
            for field in ["content", "reasoning_content", "reasoning"] {
                if let Some(Value::String(s)) = delta.get(field) {
                    self.produced.push_str(s);
                }
            }
            for call in delta
                .get("tool_calls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(Value::String(args)) = call.pointer("/function/arguments") {
                    self.produced.push_str(args);
                }
            }
        }
    }

    /// The usage chunk, once, when the plan asks for one.
    fn usage_event(&mut self) -> Option<Bytes> {
        let prompt = self.plan.usage_prompt_tokens?;
        if self.usage_sent {
            return None;
        }
        self.usage_sent = true;
        let usage = self.upstream_usage.clone().unwrap_or_else(|| {
            let completion = tokens::count(&self.produced);
            json!({ "prompt_tokens": prompt, "completion_tokens": completion,
                    "total_tokens": prompt + completion })
        });
        Some(sse::data_event(&json!({
            "id": self.id.clone().unwrap_or_else(|| json!("")),
            "object": self.plan.object,
            "created": self.created.clone().unwrap_or_else(|| json!(crate::providers::unix_now())),
            "model": self.model.clone().unwrap_or_else(|| json!("")),
            "choices": [],
            "usage": usage,
        })))
    }
}

/// Azure's content-filter preamble: no choices, `prompt_filter_results`, no usage.
fn is_filter_only(chunk: &Map<String, Value>) -> bool {
    chunk
        .get("choices")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
        && chunk.contains_key("prompt_filter_results")
        && chunk.get("usage").is_none_or(Value::is_null)
}

/// Copies `reasoning` into `reasoning_content` in each choice's `field` (`message` or `delta`)
/// where the latter is missing; whether anything changed.
pub fn alias_choices(body: &mut Map<String, Value>, field: &str) -> bool {
    let mut changed = false;
    let Some(Value::Array(choices)) = body.get_mut("choices") else {
        return false;
    };
    for choice in choices {
        let Some(Value::Object(part)) = choice.get_mut(field) else {
            continue;
        };
        if part.contains_key("reasoning_content") {
            continue;
        }
        if let Some(reasoning @ Value::String(_)) = part.get("reasoning").cloned() {
            part.insert("reasoning_content".into(), reasoning);
            changed = true;
        }
    }
    changed
}

/// A non-streamed chat completion with `reasoning` mirrored into `reasoning_content`; `None` when the
/// body needs no change (it is then forwarded as it is).
pub fn alias_json(body: &[u8]) -> Option<Bytes> {
    if !body.windows(11).any(|w| w == b"\"reasoning\"") {
        return None;
    }
    let Ok(Value::Object(mut v)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    alias_choices(&mut v, "message")
        .then(|| serde_json::to_vec(&v).ok().map(Bytes::from))
        .flatten()
}

/// Prompt tokens of a request, counted as OpenAI does for chat (3 tokens of framing per message and
/// 3 to prime the reply, plus tool definitions); the prompt text for legacy completions.
pub fn prompt_tokens(call: &Call) -> u32 {
    match &call.typed {
        Typed::Chat(r) => {
            let mut total = 3;
            for m in &r.messages {
                total += 3 + m.content.as_ref().map_or(0, |c| tokens::count(&c.text()));
                if let Some(name) = &m.name {
                    total += 1 + tokens::count(name);
                }
                for call in m.tool_calls.iter().flatten() {
                    total += tokens::count(&call.function.name)
                        + call.function.arguments.as_deref().map_or(0, tokens::count);
                }
            }
            if r.tools.is_some() {
                if let Some(tools) = call.raw().ok().and_then(|raw| raw.get("tools").cloned()) {
                    total += tokens::count(&tools.to_string());
                }
            }
            total
        }
        Typed::Completion(r) => match &r.prompt {
            Some(TextOrTokens::Text(s)) => tokens::count(s),
            Some(TextOrTokens::Texts(v)) => v.iter().map(|s| tokens::count(s)).sum(),
            Some(TextOrTokens::Tokens(ids)) => ids.len() as u32,
            Some(TextOrTokens::TokenLists(lists)) => lists.iter().map(|l| l.len() as u32).sum(),
            None => 0,
        },
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(plan: StreamPlan, chunks: &[&str]) -> String {
        let mut editor = StreamEditor::new(plan);
        let mut out = Vec::new();
        for c in chunks {
            out.extend_from_slice(&editor.push(c.as_bytes()));
        }
        out.extend_from_slice(&editor.finish());
        String::from_utf8_lossy(&out).into_owned()
    }

    const AZURE_PREAMBLE: &str = "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}\n\n";
    const CONTENT: &str = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"},\"finish_reason\":null}]}\n\n";
    const DONE: &str = "data: [DONE]\n\n";

    #[test]
    fn azure_preamble_is_dropped_and_the_rest_is_untouched() {
        let plan = StreamPlan {
            drop_filter_chunks: true,
            ..StreamPlan::default()
        };
        let input = format!("{AZURE_PREAMBLE}{CONTENT}{DONE}");
        // Cut everywhere: the result does not depend on the chunking.
        for cut in [1, 7, 40, AZURE_PREAMBLE.len() + 3] {
            let out = run(plan.clone(), &[&input[..cut], &input[cut..]]);
            assert_eq!(out, format!("{CONTENT}{DONE}"), "cut at {cut}");
        }
    }

    #[test]
    fn usage_is_synthesised_before_done() {
        let plan = StreamPlan {
            usage_prompt_tokens: Some(10),
            object: "chat.completion.chunk",
            ..StreamPlan::default()
        };
        let out = run(plan, &[CONTENT, DONE]);
        let events: Vec<&str> = out.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 3, "{out}");
        assert_eq!(events[2], "data: [DONE]");
        let usage: Value =
            serde_json::from_str(events[1].trim_start_matches("data: ")).unwrap_or_default();
        assert_eq!(usage["choices"], json!([]));
        assert_eq!(usage["id"], "c1");
        assert_eq!(usage["model"], "gpt-4o");
        let completion = tokens::count("Hello there");
        assert_eq!(usage["usage"]["completion_tokens"], completion);
        assert_eq!(usage["usage"]["total_tokens"], 10 + completion);
    }

    #[test]
    fn usage_after_an_unterminated_last_event_is_a_separate_event() {
        let plan = StreamPlan {
            usage_prompt_tokens: Some(1),
            object: "chat.completion.chunk",
            ..StreamPlan::default()
        };
        let out = run(plan, &[CONTENT, CONTENT.trim_end()]);
        let events: Vec<&str> = out.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 3, "{out}");
        assert!(events[2].starts_with("data: {") && events[2].contains("\"usage\""));
    }

    #[test]
    fn reasoning_is_mirrored_only_where_missing() {
        let plan = StreamPlan {
            reasoning_alias: true,
            ..StreamPlan::default()
        };
        let with = "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"hmm\"}}]}\n\n";
        let both = "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"a\",\"reasoning_content\":\"a\"}}]}\n\n";
        let out = run(plan, &[with, both, DONE]);
        assert_eq!(
            out,
            format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"reasoning\":\"hmm\",\"reasoning_content\":\"hmm\"}}}}]}}\n\n{both}{DONE}")
        );
        let json =
            br#"{"choices":[{"message":{"role":"assistant","content":"x","reasoning":"why"}}]}"#;
        let v: Value =
            serde_json::from_slice(&alias_json(json).unwrap_or_default()).unwrap_or_default();
        assert_eq!(v["choices"][0]["message"]["reasoning_content"], "why");
        assert!(alias_json(br#"{"choices":[]}"#).is_none());
    }
}
