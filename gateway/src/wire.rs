//! Typed views of the OpenAI request bodies the gateway understands.
//!
//! A request is kept twice: as the raw JSON object (so every field the gateway does not know — vendor
//! extensions, `extra_body`, `reasoning_content` on assistant messages — is forwarded untouched) and as
//! one of these typed views, which validates the fields the gateway itself relies on and feeds the mock
//! provider. Unknown fields are ignored by the views, never rejected. Validation errors name the
//! offending field as the envelope's `param` (`messages[0].role`).

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::GatewayError;

/// Parses a request body into a JSON object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, GatewayError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(GatewayError::MalformedJson(
            "request body is empty; send a JSON object with Content-Type: application/json".into(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(GatewayError::MalformedJson(format!(
            "request body must be a JSON object, not {}",
            json_kind(&other)
        ))),
        Err(e) => Err(GatewayError::MalformedJson(format!(
            "request body is not valid JSON: {e}"
        ))),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Deserialises a typed view straight from the body bytes (fields it does not know are skipped, not
/// copied), turning serde's complaint into a 400: malformed JSON, or a bad field named as `param`.
pub fn typed<T: DeserializeOwned>(body: &[u8]) -> Result<T, GatewayError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        // Let the full parser describe what is wrong (empty, not an object, not JSON).
        _ => {
            parse_object(body)?;
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        if !e.inner().is_data() {
            return GatewayError::MalformedJson(format!(
                "request body is not valid JSON: {}",
                e.inner()
            ));
        }
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        // serde_json appends " at line L column C"; the param already says where.
        let inner = match inner.rfind(" at line ") {
            Some(at) => inner[..at].to_owned(),
            None => inner,
        };
        // "missing field `messages`" is reported at the parent; name the field itself.
        let param = match inner
            .strip_prefix("missing field `")
            .and_then(|s| s.split('`').next())
        {
            Some(field) if path == "." => field.to_owned(),
            Some(field) => format!("{path}.{field}"),
            None => path,
        };
        let message = if param == "." || param.is_empty() {
            inner
        } else {
            format!("invalid '{param}': {inner}")
        };
        GatewayError::invalid(message, Some(param).filter(|p| p != "."))
    })?;
    de.end()
        .map_err(|e| GatewayError::MalformedJson(format!("request body is not valid JSON: {e}")))?;
    Ok(value)
}

/// One string or several: `stop`, and the `documents` items of rerank.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
    Function,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default)]
    pub tool_call_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Message content: a string or an array of typed parts.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

impl Content {
    /// The text of the content, parts joined by newlines; images and audio contribute nothing.
    pub fn text(&self) -> String {
        match self {
            Content::Text(s) => s.clone(),
            Content::Parts(parts) => parts
                .iter()
                .filter_map(|p| p.text.as_deref())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ToolCall {
    #[serde(default)]
    pub id: Option<String>,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Tool {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub function: Option<FunctionDef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FunctionDef {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub parameters: Option<Value>,
}

/// `tool_choice`: a mode string or a named function.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(ToolChoiceMode),
    Named(NamedToolChoice),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoiceMode {
    None,
    Auto,
    Required,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NamedToolChoice {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: NamedFunction,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NamedFunction {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema { json_schema: JsonSchemaFormat },
}

#[derive(Debug, Clone, Deserialize)]
pub struct JsonSchemaFormat {
    pub name: String,
    #[serde(default)]
    pub schema: Option<Value>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: Option<bool>,
}

/// `POST /v1/chat/completions`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub stop: Option<OneOrMany>,
    #[serde(default)]
    pub tools: Option<Vec<Tool>>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default)]
    pub response_format: Option<ResponseFormat>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
    #[serde(default)]
    pub logprobs: Option<bool>,
    #[serde(default)]
    pub top_logprobs: Option<u32>,
    /// The deprecated form of `tools` (functions only), still sent by older clients.
    #[serde(default)]
    pub functions: Option<Vec<FunctionDef>>,
    /// The deprecated form of `tool_choice`: `"none"`, `"auto"` or `{"name": …}`.
    #[serde(default)]
    pub function_call: Option<Value>,
}

impl ChatRequest {
    pub fn stream(&self) -> bool {
        self.stream.unwrap_or(false)
    }

    /// Checks the rules serde cannot express.
    pub fn validate(&self) -> Result<(), GatewayError> {
        if self.messages.is_empty() {
            return Err(GatewayError::invalid(
                "'messages' must contain at least one message",
                Some("messages".into()),
            ));
        }
        validate_common(self.n, self.temperature, self.top_p)?;
        if let Some(top) = self.top_logprobs {
            if top > 20 {
                return Err(GatewayError::invalid(
                    format!("'top_logprobs' must be between 0 and 20, got {top}"),
                    Some("top_logprobs".into()),
                ));
            }
            if self.logprobs != Some(true) {
                return Err(GatewayError::invalid(
                    "'logprobs' must be true when 'top_logprobs' is set",
                    Some("logprobs".into()),
                ));
            }
        }
        for (name, value) in [
            ("max_tokens", self.max_tokens),
            ("max_completion_tokens", self.max_completion_tokens),
        ] {
            if value == Some(0) {
                return Err(GatewayError::invalid(
                    format!("'{name}' must be at least 1"),
                    Some(name.into()),
                ));
            }
        }
        if let Some(OneOrMany::Many(v)) = &self.stop {
            if v.len() > 4 {
                return Err(GatewayError::invalid(
                    "'stop' accepts at most 4 sequences",
                    Some("stop".into()),
                ));
            }
        }
        for (i, m) in self.messages.iter().enumerate() {
            if m.role == Role::Tool && m.tool_call_id.is_none() {
                return Err(GatewayError::invalid(
                    format!("messages[{i}] has role 'tool' but no 'tool_call_id'"),
                    Some(format!("messages[{i}].tool_call_id")),
                ));
            }
        }
        if let Some(tools) = &self.tools {
            for (i, t) in tools.iter().enumerate() {
                if t.kind == "function" && t.function.is_none() {
                    return Err(GatewayError::invalid(
                        format!("tools[{i}] has type 'function' but no 'function' object"),
                        Some(format!("tools[{i}].function")),
                    ));
                }
            }
        }
        if let Some(ToolChoice::Named(named)) = &self.tool_choice {
            let offered = self
                .tools
                .iter()
                .flatten()
                .filter_map(|t| t.function.as_ref());
            if !offered.clone().any(|f| f.name == named.function.name) {
                return Err(GatewayError::invalid(
                    format!(
                        "tool_choice names the function '{}', which is not among the tools offered",
                        named.function.name
                    ),
                    Some("tool_choice".into()),
                ));
            }
        }
        Ok(())
    }
}

fn validate_common(
    n: Option<u32>,
    temperature: Option<f64>,
    top_p: Option<f64>,
) -> Result<(), GatewayError> {
    if let Some(n) = n {
        if !(1..=128).contains(&n) {
            return Err(GatewayError::invalid(
                format!("'n' must be between 1 and 128, got {n}"),
                Some("n".into()),
            ));
        }
    }
    if let Some(t) = temperature {
        if !(0.0..=2.0).contains(&t) {
            return Err(GatewayError::invalid(
                format!("'temperature' must be between 0 and 2, got {t}"),
                Some("temperature".into()),
            ));
        }
    }
    if let Some(p) = top_p {
        if !(0.0..=1.0).contains(&p) {
            return Err(GatewayError::invalid(
                format!("'top_p' must be between 0 and 1, got {p}"),
                Some("top_p".into()),
            ));
        }
    }
    Ok(())
}

/// A prompt or embedding input: text, texts, token ids, or lists of token ids.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TextOrTokens {
    Text(String),
    Texts(Vec<String>),
    Tokens(Vec<u32>),
    TokenLists(Vec<Vec<u32>>),
}

/// `POST /v1/completions`.
#[derive(Debug, Clone, Deserialize)]
pub struct CompletionRequest {
    pub model: String,
    #[serde(default)]
    pub prompt: Option<TextOrTokens>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub stop: Option<OneOrMany>,
    #[serde(default)]
    pub echo: Option<bool>,
    #[serde(default)]
    pub suffix: Option<String>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
}

impl CompletionRequest {
    pub fn stream(&self) -> bool {
        self.stream.unwrap_or(false)
    }

    pub fn validate(&self) -> Result<(), GatewayError> {
        validate_common(self.n, self.temperature, self.top_p)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodingFormat {
    Float,
    Base64,
}

/// `POST /v1/embeddings`.
#[derive(Debug, Clone, Deserialize)]
pub struct EmbeddingRequest {
    pub model: String,
    pub input: TextOrTokens,
    #[serde(default)]
    pub encoding_format: Option<EncodingFormat>,
    #[serde(default)]
    pub dimensions: Option<u32>,
}

impl EmbeddingRequest {
    pub fn validate(&self) -> Result<(), GatewayError> {
        let empty = match &self.input {
            TextOrTokens::Text(s) => s.is_empty(),
            TextOrTokens::Texts(v) => v.is_empty() || v.iter().any(String::is_empty),
            TextOrTokens::Tokens(v) => v.is_empty(),
            TextOrTokens::TokenLists(v) => v.is_empty() || v.iter().any(Vec::is_empty),
        };
        if empty {
            return Err(GatewayError::invalid(
                "'input' cannot be an empty string or contain empty items",
                Some("input".into()),
            ));
        }
        if let Some(d) = self.dimensions {
            if !(1..=8192).contains(&d) {
                return Err(GatewayError::invalid(
                    format!("'dimensions' must be between 1 and 8192, got {d}"),
                    Some("dimensions".into()),
                ));
            }
        }
        Ok(())
    }
}

/// A rerank document: a plain string or an object with `text` (Cohere and Jina accept both).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RerankDocument {
    Text(String),
    Object { text: String },
}

impl RerankDocument {
    pub fn text(&self) -> &str {
        match self {
            RerankDocument::Text(s) | RerankDocument::Object { text: s } => s,
        }
    }
}

/// `POST /v1/rerank`, Cohere/Jina style.
#[derive(Debug, Clone, Deserialize)]
pub struct RerankRequest {
    pub model: String,
    pub query: String,
    pub documents: Vec<RerankDocument>,
    #[serde(default)]
    pub top_n: Option<usize>,
    #[serde(default)]
    pub return_documents: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of<T: DeserializeOwned + std::fmt::Debug>(body: &str) -> (String, Option<String>) {
        match typed::<T>(body.as_bytes()) {
            Err(GatewayError::InvalidRequest { message, param }) => (message, param),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn missing_messages_names_the_param() {
        let (msg, param) = err_of::<ChatRequest>(r#"{"model":"m"}"#);
        assert_eq!(param.as_deref(), Some("messages"));
        assert!(msg.contains("missing field"), "{msg}");
    }

    #[test]
    fn bad_role_names_the_nested_param() {
        let (_, param) =
            err_of::<ChatRequest>(r#"{"model":"m","messages":[{"role":"bot","content":"x"}]}"#);
        assert_eq!(param.as_deref(), Some("messages[0].role"));
    }

    #[test]
    fn non_object_bodies_are_malformed() {
        assert!(matches!(
            parse_object(b"[1,2]"),
            Err(GatewayError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\":"),
            Err(GatewayError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_object(b"  "),
            Err(GatewayError::MalformedJson(_))
        ));
    }

    #[test]
    fn embedding_inputs_of_every_shape_parse() {
        for input in [r#""a""#, r#"["a","b"]"#, "[1,2,3]", "[[1,2],[3]]"] {
            let body = format!(r#"{{"model":"m","input":{input}}}"#);
            assert!(
                typed::<EmbeddingRequest>(body.as_bytes()).is_ok(),
                "{input}"
            );
        }
    }
}
