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
