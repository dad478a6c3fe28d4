//! Turning a closed request into its record: tokens from the answer's usage (OpenAI, Anthropic and
//! Responses shapes, plain JSON or event streams), else counted with the tokenizer; bodies kept when on.
//! Runs on the writer's blocking thread, never on the request path.

use serde_json::Value;

use super::{Finished, RequestRecord};
use crate::providers::mock::tokens;

#[derive(Default)]
struct Usage {
    input: Option<u64>,
    output: Option<u64>,
}

impl Usage {
    /// Reads a `usage` object of any of the three shapes; larger numbers win (Anthropic streams report
    /// input at the start and output at the end).
    fn absorb(&mut self, usage: &Value) {
        let get = |k: &str| usage.get(k).and_then(Value::as_u64);
        self.absorb_numbers(&UsageNumbers {
            prompt_tokens: get("prompt_tokens"),
            input_tokens: get("input_tokens"),
            cache_read_input_tokens: get("cache_read_input_tokens"),
            cache_creation_input_tokens: get("cache_creation_input_tokens"),
            completion_tokens: get("completion_tokens"),
            output_tokens: get("output_tokens"),
        });
    }

    /// Finds usage in one JSON document: top level, or nested in `message` / `response`.
    fn scan(&mut self, v: &Value) {
        for holder in [Some(v), v.get("message"), v.get("response")]
            .into_iter()
            .flatten()
        {
            if let Some(u) = holder.get("usage").filter(|u| u.is_object()) {
                self.absorb(u);
            }
        }
    }
}

/// The usage numbers of the three shapes, read straight from the bytes: serde skips everything else
/// without building it, which makes this several times cheaper than a whole `Value` (the writer runs
/// on the gateway's core). Anything unexpected (a non-object `usage`, fractional numbers) fails here
/// and is read the general way.
#[derive(serde::Deserialize)]
struct UsageNumbers {
    prompt_tokens: Option<u64>,
    input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

#[derive(serde::Deserialize)]
struct Nested {
    usage: Option<UsageNumbers>,
}

#[derive(serde::Deserialize)]
struct UsageOnly {
    usage: Option<UsageNumbers>,
    message: Option<Nested>,
    response: Option<Nested>,
}

impl Usage {
    fn absorb_numbers(&mut self, u: &UsageNumbers) {
        let input = u.prompt_tokens.or_else(|| {
            Some(
                u.input_tokens?
                    + u.cache_read_input_tokens.unwrap_or(0)
                    + u.cache_creation_input_tokens.unwrap_or(0),
            )
        });
        let output = u.completion_tokens.or(u.output_tokens);
        if let Some(i) = input {
            self.input = Some(self.input.map_or(i, |x| x.max(i)));
        }
        if let Some(o) = output {
            self.output = Some(self.output.map_or(o, |x| x.max(o)));
        }
    }

    /// Like [`Usage::scan`] on the parsed document; false when `json` needs the general way.
    fn scan_fast(&mut self, json: &[u8]) -> bool {
        let Ok(doc) = serde_json::from_slice::<UsageOnly>(json) else {
            return false;
        };
        let nested = [doc.message, doc.response]
            .into_iter()
            .flatten()
            .filter_map(|n| n.usage);
        for u in doc.usage.into_iter().chain(nested) {
            self.absorb_numbers(&u);
        }
        true
    }
}

/// The `data:` payloads of an event stream that look like JSON objects.
fn payloads(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .filter(|d| d.starts_with('{'))
}

/// The `data:` payloads of an event stream that parse as JSON.
fn events(text: &str) -> impl Iterator<Item = Value> + '_ {
    payloads(text).filter_map(|d| serde_json::from_str(d).ok())
}

impl Usage {
    /// Usage from every event of a stream.
    fn scan_events(&mut self, text: &str) {
        for d in payloads(text) {
            if !self.scan_fast(d.as_bytes()) {
                if let Ok(v) = serde_json::from_str::<Value>(d) {
                    self.scan(&v);
                }
            }
        }
    }
}

/// The text a streamed answer carried (chat, completions, Anthropic and Responses deltas).
fn streamed_text(text: &str) -> String {
    let mut out = String::new();
    for e in events(text) {
        if let Some(choices) = e.get("choices").and_then(Value::as_array) {
            for c in choices {
                for piece in [
                    &c["delta"]["content"],
                    &c["delta"]["reasoning_content"],
                    &c["text"],
                ] {
                    if let Some(s) = piece.as_str() {
                        out.push_str(s);
                    }
                }
                if let Some(calls) = c["delta"]["tool_calls"].as_array() {
                    for call in calls {
                        if let Some(s) = call["function"]["arguments"].as_str() {
                            out.push_str(s);
                        }
                    }
                }
            }
        }
        for piece in [
            &e["delta"]["text"],
            &e["delta"]["partial_json"],
            &e["delta"]["thinking"],
        ] {
            if let Some(s) = piece.as_str() {
                out.push_str(s);
            }
        }
        if e["type"] == "response.output_text.delta" {
            if let Some(s) = e["delta"].as_str() {
                out.push_str(s);
            }
        }
    }
    out
}

/// The text of a complete JSON answer, for counting when it has no usage.
fn answer_text(v: &Value) -> String {
    let mut out = String::new();
    if let Some(choices) = v.get("choices").and_then(Value::as_array) {
        for c in choices {
            for piece in [
                &c["message"]["content"],
                &c["message"]["reasoning_content"],
                &c["text"],
            ] {
                if let Some(s) = piece.as_str() {
                    out.push_str(s);
                }
            }
        }
    }
    out
}

fn capped(bytes: &[u8], cap: usize) -> String {
    let cut = &bytes[..bytes.len().min(cap)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > cap {
        s.push_str("\n…[truncated]");
    }
    s
}

/// Completes a record from what the request left behind.
pub fn complete(finished: Finished) -> RequestRecord {
    let Finished {
        partial,
        response_sample,
        response_tail,
    } = finished;
    let mut record = partial.record;
    let mut usage = Usage::default();
    let mut produced = String::new();
    if record.stream {
        let sample = String::from_utf8_lossy(&response_sample);
        usage.scan_events(&sample);
        if !response_tail.is_empty() {
            usage.scan_events(&String::from_utf8_lossy(&response_tail));
        }
        if usage.output.is_none() {
            produced = streamed_text(&sample);
        }
    } else if !usage.scan_fast(&response_sample) || usage.output.is_none() {
        // No usage found the fast way: parse it all, for usage in an unusual form or the text to count.
        usage = Usage::default();
        if let Ok(v) = serde_json::from_slice::<Value>(&response_sample) {
            usage.scan(&v);
            if usage.output.is_none() {
                produced = answer_text(&v);
            }
        }
    }
    record.tokens_in = usage.input;
    record.tokens_out = usage.output;
    let ok = (200..300).contains(&record.status);
    if ok && (record.tokens_in.is_none() || record.tokens_out.is_none()) {
        if record.tokens_out.is_none() && !produced.is_empty() {
            record.tokens_out = Some(u64::from(tokens::count(&produced)));
            record.tokens_estimated = true;
        }
        if record.tokens_in.is_none() {
            if let Some(body) = &partial.request_body {
                if let Ok(v) = serde_json::from_slice::<Value>(body) {
                    let text = crate::observe::usage::prompt_text(&v);
                    if !text.is_empty() {
                        record.tokens_in = Some(u64::from(tokens::count(&text)));
                        record.tokens_estimated = true;
                    }
                }
            }
        }
    }
    if partial.settings.bodies {
        let cap = partial.settings.max_body_bytes;
        record.request_body = partial.request_body.as_deref().map(|b| capped(b, cap));
        record.response_body = Some(if record.stream {
            // A stream is kept reassembled: the text it carried, not its framing.
            let text = streamed_text(&String::from_utf8_lossy(&response_sample));
            capped(text.as_bytes(), cap)
        } else {
            capped(&response_sample, cap)
        });
    }
    record
}

/// The text of a request's prompt (messages, prompt, input), for counting tokens when no usage came.
pub fn prompt_text(v: &Value) -> String {
    let mut out = String::new();
    let mut push = |c: &Value| match c {
        Value::String(s) => out.push_str(s),
        Value::Array(parts) => {
            for p in parts {
                if let Some(s) = p.get("text").and_then(Value::as_str).or_else(|| p.as_str()) {
                    out.push_str(s);
                }
            }
        }
        _ => {}
    };
    if let Some(messages) = v.get("messages").and_then(Value::as_array) {
        for m in messages {
            push(&m["content"]);
        }
    }
    for key in ["prompt", "input", "system", "instructions", "query"] {
        if let Some(x) = v.get(key) {
            push(x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::{LogSettings, Partial};
    use bytes::Bytes;

    fn finished(stream: bool, body: &str, tail: &str, request: &str) -> Finished {
        let mut partial = Partial::default();
        partial.record.stream = stream;
        partial.record.status = 200;
        partial.request_body = Some(Bytes::from(request.to_owned()));
        partial.settings = LogSettings {
            bodies: true,
            max_body_bytes: 1000,
        };
        Finished {
            partial,
            response_sample: Bytes::from(body.to_owned()),
            response_tail: Bytes::from(tail.to_owned()),
        }
    }

    #[test]
    fn usage_from_a_json_answer() {
        let r = complete(finished(
            false,
            r#"{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":9}}"#,
            "",
            "{}",
        ));
        assert_eq!(
            (r.tokens_in, r.tokens_out, r.tokens_estimated),
            (Some(7), Some(9), false)
        );
    }

    #[test]
    fn usage_in_every_json_shape_and_the_odd_ones_fall_back_to_the_general_reading() {
        let cases = [
            // Anthropic Messages: cache reads and writes count as input.
            (
                r#"{"type":"message","usage":{"input_tokens":5,"cache_read_input_tokens":2,"cache_creation_input_tokens":1,"output_tokens":4}}"#,
                (Some(8), Some(4), false),
            ),
            // Responses: nested under `response`.
            (
                r#"{"type":"response.completed","response":{"usage":{"input_tokens":6,"output_tokens":2}}}"#,
                (Some(6), Some(2), false),
            ),
            // A fractional count is not what the fast reader takes; the general one ignores it.
            (
                r#"{"choices":[],"usage":{"prompt_tokens":3.5,"completion_tokens":2}}"#,
                (None, Some(2), false),
            ),
            // `usage` that is not an object: no numbers from it, the answer's text is counted.
            (
                r#"{"choices":[{"message":{"content":"hello there"}}],"usage":"n/a"}"#,
                (None, Some(2), true),
            ),
            // `usage: null` and no usage at all: counted.
            (
                r#"{"choices":[{"message":{"content":"hello there"}}],"usage":null}"#,
                (None, Some(2), true),
            ),
        ];
        for (body, want) in cases {
            let r = complete(finished(false, body, "", "{}"));
            assert_eq!(
                (r.tokens_in, r.tokens_out, r.tokens_estimated),
                want,
                "{body}"
            );
        }
    }

    #[test]
    fn usage_from_the_stream_tail_and_anthropic_events() {
        let tail = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\ndata: [DONE]\n\n";
        let r = complete(finished(
            true,
            "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n",
            tail,
            "{}",
        ));
        assert_eq!((r.tokens_in, r.tokens_out), (Some(3), Some(4)));
        let anthropic = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":12}}\n\n";
        let r = complete(finished(true, anthropic, "", "{}"));
        assert_eq!((r.tokens_in, r.tokens_out), (Some(15), Some(12)));
    }

    #[test]
    fn without_usage_tokens_are_counted_and_streams_are_reassembled() {
        let body = "data: {\"choices\":[{\"delta\":{\"content\":\"hello\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\" world\"}}]}\n\ndata: [DONE]\n\n";
        let r = complete(finished(
            true,
            body,
            "",
            r#"{"messages":[{"role":"user","content":"hello world"}]}"#,
        ));
        assert_eq!(
            (r.tokens_in, r.tokens_out, r.tokens_estimated),
            (Some(2), Some(2), true)
        );
        assert_eq!(r.response_body.as_deref(), Some("hello world"));
    }
}
