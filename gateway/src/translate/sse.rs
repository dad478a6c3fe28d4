//! Server-sent events, both ways: what upstreams send is parsed by [`crate::sse::SseParser`] (named or
//! data-only events, split anywhere across network chunks; re-exported here), and this is the encoder
//! for what the front doors emit.
//!
//! Anthropic and Responses streams are *named* events (`event: x` + `data: {...}`); the Anthropic SDK
//! dispatches on the `event:` line, so it must be there. OpenAI chat streams are data-only.

use bytes::Bytes;
use serde_json::Value;

pub use crate::sse::{SseEvent, SseParser};

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

#[cfg(test)]
mod tests {
    use super::*;

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
