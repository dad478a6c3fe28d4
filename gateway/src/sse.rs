//! Server-sent event framing shared by every streaming path.
//!
//! OpenAI streams are data-only events (`data: <json>\n\n`) ended by `data: [DONE]\n\n`. No `id:` or
//! `retry:` fields are ever written: the Python SDK's decoder would then yield empty events and fail on
//! them. Errors after the first byte become one `data: {"error":{…}}` event, which both SDKs raise.

use bytes::Bytes;
use serde::Serialize;

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

    /// The bytes of an unterminated last event, if the stream ended in the middle of one.
    pub fn finish(&mut self) -> Option<Bytes> {
        self.scanned = 0;
        self.line_start = 0;
        let rest = std::mem::take(&mut self.buf);
        (!rest.is_empty()).then(|| Bytes::from(rest))
    }
}

/// The data of one event: its `data:` lines joined with `\n` (one space after the colon dropped).
/// `None` for events without data (comments such as `: keep-alive`, a stray blank line).
pub fn event_data(event: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(event);
    let mut data: Option<String> = None;
    for line in text.split(['\n', '\r']) {
        let value = match line.strip_prefix("data") {
            Some("") => "",
            Some(rest) => match rest.strip_prefix(':') {
                Some(v) => v.strip_prefix(' ').unwrap_or(v),
                None => continue,
            },
            None => continue,
        };
        match &mut data {
            Some(d) => {
                d.push('\n');
                d.push_str(value);
            }
            None => data = Some(value.to_owned()),
        }
    }
    data
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
}
