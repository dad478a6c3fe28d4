//! Request bodies: forwarded as the client's bytes unless something must change, and then changed as
//! little as possible (the model name after routing, a stray `stream_options`, the token-limit field
//! the upstream wants, `stream_options` an upstream refuses). Field order and unknown fields survive
//! (`serde_json` keeps insertion order).

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::config::{Quirks, TokenLimitField};
use crate::error::GatewayError;
use crate::providers::{Call, Typed};

/// What the gateway must do to a request body.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Edits {
    pub model: bool,
    pub drop_stream_options: bool,
    /// `(from, to)`: the token-limit field to rename.
    pub rename: Option<(&'static str, &'static str)>,
    /// The client asked for `include_usage` on a stream whose upstream will not be told: the gateway
    /// counts and adds the usage chunk itself.
    pub synthesize_usage: bool,
}

impl Edits {
    pub fn plan(call: &Call, quirks: &Quirks) -> Edits {
        let (stream_options, include_usage) = match &call.typed {
            Typed::Chat(r) => (
                r.stream_options.is_some(),
                r.stream_options.as_ref().and_then(|o| o.include_usage),
            ),
            Typed::Completion(r) => (
                r.stream_options.is_some(),
                r.stream_options.as_ref().and_then(|o| o.include_usage),
            ),
            Typed::Embedding(_) | Typed::Rerank(_) | Typed::Native(_) => (false, None),
        };
        let streaming = call.typed.stream();
        // `stream_options` without `stream: true` makes OpenAI answer 400; an upstream that does not
        // know the field may refuse it too.
        let drop_stream_options = stream_options && (!streaming || !quirks.stream_options);
        Edits {
            model: call.requested_model() != call.upstream_model,
            drop_stream_options,
            rename: token_limit_rename(call, quirks.token_limit),
            synthesize_usage: streaming && drop_stream_options && include_usage == Some(true),
        }
    }

    fn changes_body(&self) -> bool {
        self.model || self.drop_stream_options || self.rename.is_some()
    }

    /// The body to send: the client's bytes when nothing changes, else the edited object.
    pub fn apply(&self, call: &Call) -> Result<Bytes, GatewayError> {
        if !self.changes_body() {
            return Ok(call.body.clone());
        }
        let mut raw = call.raw()?;
        if self.model {
            raw.insert("model".into(), Value::String(call.upstream_model.clone()));
        }
        if self.drop_stream_options {
            raw.shift_remove("stream_options");
        }
        if let Some((from, to)) = self.rename {
            rename_field(&mut raw, from, to);
        }
        serde_json::to_vec(&raw)
            .map(Bytes::from)
            .map_err(|e| GatewayError::Internal(format!("cannot encode the upstream request: {e}")))
    }
}

/// Which field to rename for this chat request, if any.
fn token_limit_rename(call: &Call, want: TokenLimitField) -> Option<(&'static str, &'static str)> {
    let Typed::Chat(r) = &call.typed else {
        return None;
    };
    let to_new = (r.max_tokens.is_some()).then_some(("max_tokens", "max_completion_tokens"));
    let to_old =
        (r.max_completion_tokens.is_some()).then_some(("max_completion_tokens", "max_tokens"));
    match want {
        TokenLimitField::AsSent => None,
        TokenLimitField::MaxTokens => to_old,
        TokenLimitField::MaxCompletionTokens => to_new,
        TokenLimitField::OpenaiModels if is_openai_reasoning_model(&call.upstream_model) => to_new,
        TokenLimitField::OpenaiModels => None,
    }
}

/// OpenAI's o-series (`o1`, `o3-mini`, `o4-mini` …) and gpt-5 family, which refuse `max_tokens`.
pub fn is_openai_reasoning_model(model: &str) -> bool {
    let m = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    let mut chars = m.chars();
    let o_series = chars.next() == Some('o') && chars.next().is_some_and(|c| c.is_ascii_digit());
    o_series || m.starts_with("gpt-5")
}

/// Moves `from`'s value to `to` in place (keeping the field's position). When both are present, the
/// target keeps its value and `from` is removed: sending both is refused by OpenAI.
fn rename_field(raw: &mut Map<String, Value>, from: &str, to: &str) {
    if raw.contains_key(to) {
        raw.shift_remove(from);
        return;
    }
    let entries = std::mem::take(raw);
    for (k, v) in entries {
        if k == from {
            raw.insert(to.to_owned(), v);
        } else {
            raw.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasoning_models_are_recognised() {
        for m in [
            "o1",
            "o1-mini",
            "o3",
            "o4-mini",
            "gpt-5",
            "gpt-5-mini",
            "openai/o3-mini",
        ] {
            assert!(is_openai_reasoning_model(m), "{m}");
        }
        for m in ["gpt-4o", "gpt-4.1", "omni-moderation", "llama3", "o"] {
            assert!(!is_openai_reasoning_model(m), "{m}");
        }
    }

    #[test]
    fn renaming_keeps_the_field_position() {
        let mut raw: Map<String, Value> =
            serde_json::from_str(r#"{"model":"o3","max_tokens":5,"messages":[],"x":1}"#)
                .unwrap_or_default();
        rename_field(&mut raw, "max_tokens", "max_completion_tokens");
        assert_eq!(
            serde_json::to_string(&raw).unwrap_or_default(),
            r#"{"model":"o3","max_completion_tokens":5,"messages":[],"x":1}"#
        );
        let mut both: Map<String, Value> =
            serde_json::from_str(r#"{"max_tokens":5,"max_completion_tokens":7}"#)
                .unwrap_or_default();
        rename_field(&mut both, "max_tokens", "max_completion_tokens");
        assert_eq!(
            serde_json::to_string(&both).unwrap_or_default(),
            r#"{"max_completion_tokens":7}"#
        );
    }
}
