//! Server-sent event framing shared by every streaming path, and the one reader of upstream events:
//! [`EventSplitter`] cuts bytes into whole events (forwarded byte for byte where nothing changes),
//! [`parse_event`] reads an event's fields, [`SseParser`] does both for the translators.
//!
//! OpenAI streams are data-only events (`data: <json>\n\n`) ended by `data: [DONE]\n\n`. No `id:` or
//! `retry:` fields are ever written: the Python SDK's decoder would then yield empty events and fail on
//! them. Errors after the first byte become one `data: {"error":{…}}` event, which both SDKs raise.

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use crate::error::GatewayError;

/// The terminator every OpenAI stream ends with.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

/// Frames one JSON value as a data-only event.
pub fn data_event<T: Serialize + ?Sized>(value: &T) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"data: ");
    // Serialising a `Value` or a plain struct into a Vec cannot fail.
    if serde_json::to_writer(&mut out, value).is_err() {
        out.truncate(6);
        out.extend_from_slice(b"{}");
    }
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// An error after the stream has started. The leading blank line ends any half-written event first.
pub fn error_event(err: &GatewayError) -> Bytes {
    let mut out = b"\n".to_vec();
    out.extend_from_slice(&data_event(
        &serde_json::json!({ "error": err.error_object() }),
    ));
    Bytes::from(out)
}

/// Cuts a byte stream into whole SSE events, however the bytes were chunked on the way.
///
/// An event ends at a blank line (`\n\n`, `\r\n\r\n` or `\r\r`, per the SSE spec). Each event is handed
/// out with its terminator, so the concatenation of everything [`push`](Self::push) and
/// [`finish`](Self::finish) return is exactly the input: an event that needs no change can be forwarded
/// as the upstream wrote it.
#[derive(Debug, Default)]
pub struct EventSplitter {
    buf: Vec<u8>,
    /// Where scanning resumes in `buf`.
    scanned: usize,
    /// Start of the line being scanned.
    line_start: usize,
}

impl EventSplitter {
    pub fn new() -> Self {
        EventSplitter::default()
    }

    /// Adds bytes and returns the events they complete, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Bytes> {
        self.buf.extend_from_slice(chunk);
        let mut events = Vec::new();
        let mut i = self.scanned;
        while i < self.buf.len() {
            let eol = match self.buf[i] {
                b'\n' => 1,
                b'\r' => match self.buf.get(i + 1) {
                    Some(b'\n') => 2,
                    Some(_) => 1,
                    // A lone `\r` at the end may be the first half of `\r\n`: wait for more bytes.
                    None => break,
                },
                _ => {
                    i += 1;
                    continue;
                }
            };
            let blank = i == self.line_start;
            i += eol;
            self.line_start = i;
            if blank {
                let rest = self.buf.split_off(i);
                let event = std::mem::replace(&mut self.buf, rest);
                events.push(Bytes::from(event));
                i = 0;
                self.line_start = 0;
            }
        }
        self.scanned = i;
        events
    }

    /// Whether the bytes held end in a `\r` that ends a blank line: the event before it is complete,
    /// only whether its terminator is `\r` or `\r\n` waits for the next byte.
    fn ends_with_blank_cr(&self) -> bool {
        self.scanned < self.buf.len() && self.line_start == self.scanned
    }

    /// The bytes of an unterminated last event, if the stream ended in the middle of one.
    pub fn finish(&mut self) -> Option<Bytes> {
        self.scanned = 0;
        self.line_start = 0;
        let rest = std::mem::take(&mut self.buf);
        (!rest.is_empty()).then(|| Bytes::from(rest))
    }
}

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

/// The fields of one event as [`EventSplitter`] cuts it (the WHATWG rules that matter here): lines end
/// in `\n`, `\r\n` or `\r`; `:` lines are comments; a field without a colon has an empty value; one
/// space after the colon is dropped; the last `event:` names the event, `data:` lines are joined with
/// `\n`; `id:`, `retry:` and unknown fields are ignored. `None` for an event without data (a comment
/// such as `: keep-alive`, a stray blank line), which SSE does not dispatch.
pub fn parse_event(event: &[u8]) -> Option<SseEvent> {
    let text = String::from_utf8_lossy(event);
    let mut name = None;
    let mut data: Option<String> = None;
    // `\r\n` yields an empty piece between the two; the only blank line in an event is its end.
    for line in text.split(['\n', '\r']) {
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => name = Some(value.to_owned()),
            "data" => match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_owned()),
            },
            _ => {}
        }
    }
    Some(SseEvent {
        event: name,
        data: data?,
    })
}

/// The data of one event: its `data:` lines joined with `\n` (one space after the colon dropped).
/// `None` for events without data (comments such as `: keep-alive`, a stray blank line).
pub fn event_data(event: &[u8]) -> Option<String> {
    parse_event(event).map(|e| e.data)
}

/// An incremental SSE parser: [`EventSplitter`] cuts the bytes into events, [`parse_event`] reads
/// their fields.
#[derive(Debug, Default)]
pub struct SseParser {
    splitter: EventSplitter,
    /// The previous chunk ended an event with `\r`, so a `\n` at the start of the next one is part of
    /// that line break.
    skip_lf: bool,
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Feeds bytes; returns the events they complete.
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<SseEvent> {
        if self.skip_lf && !bytes.is_empty() {
            self.skip_lf = false;
            bytes = bytes.strip_prefix(b"\n").unwrap_or(bytes);
        }
        let mut out: Vec<SseEvent> = self
            .splitter
            .push(bytes)
            .iter()
            .filter_map(|e| parse_event(e))
            .collect();
        // The splitter holds an event ended by a `\r` until it knows whether a `\n` follows (it hands
        // out the exact bytes); its fields are complete already, so it is dispatched now.
        if self.splitter.ends_with_blank_cr() {
            self.skip_lf = true;
            out.extend(self.splitter.finish().and_then(|e| parse_event(&e)));
        }
        out
    }

    /// The source ended: an event not yet ended by a blank line still counts.
    pub fn finish(&mut self) -> Option<SseEvent> {
        self.skip_lf = false;
        self.splitter.finish().and_then(|e| parse_event(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(chunks: &[&[u8]]) -> (Vec<Bytes>, Option<Bytes>) {
        let mut s = EventSplitter::new();
        let mut events = Vec::new();
        for c in chunks {
            events.extend(s.push(c));
        }
        (events, s.finish())
    }

    #[test]
    fn events_split_across_chunks_come_out_whole() {
        let input = b"data: {\"a\":1}\n\ndata: {\"b\":2}\n\n: keep-alive\n\ndata: [DONE]\n\n";
        // Every way of cutting the input in two, and byte by byte.
        for cut in 0..=input.len() {
            let (events, rest) = split_all(&[&input[..cut], &input[cut..]]);
            assert_eq!(events.len(), 4, "cut at {cut}");
            assert_eq!(events[1].as_ref(), b"data: {\"b\":2}\n\n");
            assert!(rest.is_none());
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        let (events, _) = split_all(&bytes);
        assert_eq!(events.concat(), input.to_vec(), "nothing is lost or added");
    }

    #[test]
    fn crlf_and_cr_terminators_are_understood() {
        let input = b"data: one\r\n\r\ndata: two\r\rdata: three\n\n";
        for cut in 0..=input.len() {
            let (events, rest) = split_all(&[&input[..cut], &input[cut..]]);
            let datas: Vec<String> = events.iter().filter_map(|e| event_data(e)).collect();
            assert_eq!(datas, vec!["one", "two", "three"], "cut at {cut}");
            assert!(rest.is_none());
        }
    }

    #[test]
    fn an_unterminated_tail_is_returned_by_finish() {
        let (events, rest) = split_all(&[b"data: {\"a\":1}\n\ndata: {\"par", b"tial\":true}"]);
        assert_eq!(events.len(), 1);
        assert_eq!(rest.as_deref(), Some(&b"data: {\"partial\":true}"[..]));
    }

    #[test]
    fn event_data_joins_lines_and_ignores_other_fields() {
        assert_eq!(
            event_data(b"event: x\ndata: a\ndata:b\nid: 3\n\n").as_deref(),
            Some("a\nb")
        );
        assert_eq!(event_data(b": keep-alive\n\n"), None);
        assert_eq!(event_data(b"data\n\n").as_deref(), Some(""));
        assert_eq!(event_data(b"database: no\n\n"), None);
    }

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
    fn an_event_ended_by_cr_is_dispatched_without_waiting_for_the_next_chunk() {
        let mut p = SseParser::new();
        assert_eq!(p.push(b"data: one\r\r"), vec![SseEvent::data("one")]);
        assert_eq!(p.push(b"data: two\r\n\r"), vec![SseEvent::data("two")]);
        // The `\n` that completes the `\r\n` is not a blank line of its own, even after an empty chunk.
        assert!(p.push(b"").is_empty());
        assert_eq!(p.push(b"\ndata: three\n\n"), vec![SseEvent::data("three")]);
        assert_eq!(p.finish(), None);
    }
}
