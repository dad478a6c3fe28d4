//! Server-sent events, both ways: an incremental parser for what upstreams send (named or data-only
//! events, split anywhere across network chunks) and the encoder for what the front doors emit.
//!
//! Anthropic and Responses streams are *named* events (`event: x` + `data: {...}`); the Anthropic SDK
//! dispatches on the `event:` line, so it must be there. OpenAI chat streams are data-only.

use bytes::Bytes;
use serde_json::Value;

/// One parsed event: its `event:` name (if any) and its `data:` lines joined by newlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn data(data: impl Into<String>) -> Self {
        SseEvent {
            event: None,
            data: data.into(),
        }
    }

    pub fn named(event: impl Into<String>, data: impl Into<String>) -> Self {
        SseEvent {
            event: Some(event.into()),
            data: data.into(),
        }
    }

    /// Whether this is OpenAI's terminator, `data: [DONE]`.
    pub fn is_done(&self) -> bool {
        self.data.trim() == "[DONE]"
    }

    /// The data as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.data).ok()
    }
}

/// What a translator asks to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Emit {
    /// `event: name` + `data: json` (Anthropic, Responses).
    Named(&'static str, Value),
    /// `data: json` (OpenAI chat).
    Data(Value),
    /// `data: [DONE]`.
    Done,
}

impl Emit {
    /// Appends the wire form of this event to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Emit::Named(name, data) => {
                out.extend_from_slice(b"event: ");
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"\ndata: ");
                write_json(out, data);
                out.extend_from_slice(b"\n\n");
            }
            Emit::Data(data) => {
                out.extend_from_slice(b"data: ");
                write_json(out, data);
                out.extend_from_slice(b"\n\n");
            }
            Emit::Done => out.extend_from_slice(crate::sse::DONE),
        }
    }

    /// The events as one buffer.
    pub fn encode_all(emits: &[Emit]) -> Bytes {
        let mut out = Vec::with_capacity(emits.len() * 160);
        for e in emits {
            e.write_to(&mut out);
        }
        Bytes::from(out)
    }
}

fn write_json(out: &mut Vec<u8>, value: &Value) {
    // Serialising a `Value` into a Vec cannot fail.
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"{}");
    }
}

/// An incremental SSE parser (the WHATWG rules that matter here): lines end in `\n`, `\r\n` or `\r`;
/// a blank line dispatches the event; `:` lines are comments; `id:` and `retry:` are ignored.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
    /// The previous chunk ended in `\r`, so a `\n` at the start of the next one is part of that break.
    skip_lf: bool,
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Feeds bytes; returns the events they complete.
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if self.skip_lf {
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
            self.skip_lf = false;
        }
        self.buf.extend_from_slice(bytes);
        let mut start = 0;
        let mut i = 0;
        while i < self.buf.len() {
            let b = self.buf[i];
            if b == b'\n' || b == b'\r' {
                let line = String::from_utf8_lossy(&self.buf[start..i]).into_owned();
                let mut next = i + 1;
                if b == b'\r' {
                    match self.buf.get(next) {
                        Some(b'\n') => next += 1,
                        Some(_) => {}
                        None => self.skip_lf = true,
                    }
                }
                self.line(&line, &mut out);
                start = next;
                i = next;
            } else {
                i += 1;
            }
        }
        self.buf.drain(..start);
        out
    }

    /// The source ended: an event not yet ended by a blank line still counts.
    pub fn finish(&mut self) -> Option<SseEvent> {
        if !self.buf.is_empty() {
            let line = String::from_utf8_lossy(&self.buf).into_owned();
            self.buf.clear();
            let mut out = Vec::new();
            self.line(&line, &mut out);
        }
        self.dispatch()
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(e) = self.dispatch() {
                out.push(e);
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if self.data.is_empty() {
            return None;
        }
        let data = std::mem::take(&mut self.data).join("\n");
        Some(SseEvent { event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_parse_the_same() {
        let text = "event: message_start\ndata: {\"a\":1}\n\n: comment\r\ndata: x\r\ndata: y\r\n\r\ndata: [DONE]\n\n";
        let whole = SseParser::new().push(text.as_bytes());
        assert_eq!(
            whole,
            vec![
                SseEvent::named("message_start", "{\"a\":1}"),
                SseEvent::data("x\ny"),
                SseEvent::data("[DONE]"),
            ]
        );
        for cut in 0..text.len() {
            let mut p = SseParser::new();
            let mut got = p.push(&text.as_bytes()[..cut]);
            got.extend(p.push(&text.as_bytes()[cut..]));
            got.extend(p.finish());
            assert_eq!(got, whole, "cut at {cut}");
        }
    }

    #[test]
    fn an_unterminated_last_event_is_kept() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: {\"x\":1}").is_empty());
        assert_eq!(p.finish(), Some(SseEvent::data("{\"x\":1}")));
    }

    #[test]
    fn named_events_encode_with_both_lines() {
        let out = Emit::encode_all(&[
            Emit::Named("ping", serde_json::json!({"type": "ping"})),
            Emit::Done,
        ]);
        assert_eq!(
            &out[..],
            b"event: ping\ndata: {\"type\":\"ping\"}\n\ndata: [DONE]\n\n"
        );
    }
}
