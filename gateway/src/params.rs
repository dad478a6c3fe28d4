//! Request fields a route fills in when the client left them out (`[[routes]] params`, e.g.
//! `reasoning_effort = "high"`), and ChatMock's `reasoning: {effort}` accepted as `reasoning_effort`.
//!
//! The body is only parsed and re-encoded when something applies; otherwise the client's bytes go on
//! untouched.

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::error::GatewayError;
use crate::providers::Typed;

fn mentions(body: &[u8], needle: &[u8]) -> bool {
    body.windows(needle.len()).any(|w| w == needle)
}

pub fn apply(
    typed: &Typed,
    body: Bytes,
    params: &Map<String, Value>,
) -> Result<Bytes, GatewayError> {
    // Route params are chat-completions fields; a body forwarded in another API's shape (Messages,
    // Responses) is left as the client wrote it.
    if matches!(typed, Typed::Native(_)) {
        return Ok(body);
    }
    let chat = matches!(typed, Typed::Chat(_));
    let alias = chat && mentions(&body, b"\"reasoning\"");
    if params.is_empty() && !alias {
        return Ok(body);
    }
    let mut raw = crate::wire::parse_object(&body)?;
    let mut changed = false;
    if alias && !raw.contains_key("reasoning_effort") {
        let effort = raw
            .get("reasoning")
            .and_then(|r| r.get("effort"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(effort) = effort {
            raw.insert("reasoning_effort".into(), Value::String(effort));
            raw.remove("reasoning");
            changed = true;
        }
    }
    for (key, value) in params {
        if !raw.contains_key(key) {
            raw.insert(key.clone(), value.clone());
            changed = true;
        }
    }
    if !changed {
        return Ok(body);
    }
    serde_json::to_vec(&raw)
        .map(Bytes::from)
        .map_err(|e| GatewayError::Internal(format!("cannot encode the request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{typed, ChatRequest};

    fn chat(body: &str) -> Typed {
        Typed::Chat(typed::<ChatRequest>(body.as_bytes()).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn chatmock_reasoning_object_becomes_reasoning_effort() {
        let body = r#"{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning":{"effort":"high"}}"#;
        let out = apply(&chat(body), Bytes::from(body), &Map::new()).unwrap_or_default();
        let v: Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["reasoning_effort"], "high");
        assert!(v.get("reasoning").is_none());
    }

    #[test]
    fn route_params_fill_gaps_but_never_override_the_client() {
        let mut params = Map::new();
        params.insert("reasoning_effort".into(), Value::from("low"));
        params.insert("temperature".into(), Value::from(0.2));
        let body = r#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":1}"#;
        let out = apply(&chat(body), Bytes::from(body), &params).unwrap_or_default();
        let v: Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["reasoning_effort"], "low");
        assert_eq!(v["temperature"], 1);
    }

    #[test]
    fn untouched_bodies_keep_their_bytes() {
        let body = r#"{"model":"m",  "messages":[{"role":"user","content":"x"}]}"#;
        let out = apply(&chat(body), Bytes::from(body), &Map::new()).unwrap_or_default();
        assert_eq!(out, body.as_bytes());
    }
}
