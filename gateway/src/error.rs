//! The gateway's one error type and its mapping to HTTP.
//!
//! Every error a client can see leaves through [`GatewayError::into_response`], which emits the OpenAI
//! envelope `{"error":{"message","type","param","code"}}` with the status that makes the official SDKs
//! raise the matching exception class (400 `BadRequestError`, 404 `NotFoundError`, 429 `RateLimitError`,
//! …). Conversion to a response has no side effects. Messages are lowercase, carry no internal details
//! (paths, secrets) and say what to do next.
//!
//! Upstream failures are a separate type, [`UpstreamError`], because they carry the provider's own status
//! and body, which pass through to the client unchanged when they are already in the envelope.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The body is not JSON, or not a JSON object.
    #[error("{0}")]
    MalformedJson(String),
    /// A field is missing or has the wrong type or value.
    #[error("{message}")]
    InvalidRequest {
        message: String,
        param: Option<String>,
    },
    /// No provider serves the requested model.
    #[error("{message}")]
    ModelNotFound { message: String },
    /// The model exists but cannot serve this endpoint (an embedding model asked to chat).
    #[error("{message}")]
    WrongModelKind { message: String },
    #[error("request body is larger than the limit of {limit} bytes; send a smaller body or raise server.max_body_bytes")]
    PayloadTooLarge { limit: usize },
    /// The `Host` header names something other than this machine (DNS-rebinding guard).
    #[error("host '{0}' is not allowed; use http://127.0.0.1 or http://localhost, or add the name to server.allowed_hosts")]
    HostNotAllowed(String),
    /// A gateway key is required (keys exist) and none, or a wrong one, was sent.
    #[error("{0}")]
    Unauthorized(String),
    /// The admin API refused a request (foreign origin, form post, missing admin credential).
    #[error("{0}")]
    Forbidden(String),
    #[error("no route for {method} {path}; the OpenAI-compatible API is under /v1 (GET /v1/models lists the models)")]
    RouteNotFound { method: String, path: String },
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    /// A failure injected on purpose by the mock provider (`x-mock-fault`).
    #[error("{message}")]
    MockFault {
        status: StatusCode,
        message: String,
        retry_after_secs: Option<u64>,
    },
    #[error(transparent)]
    Upstream(Box<UpstreamError>),
    /// The request came back to a gateway it already crossed (a provider points at a gateway).
    #[error("{0}")]
    LoopDetected(String),
    /// Something the admin API was asked about does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A provider's circuit breaker is open (it failed repeatedly); retry after the pause.
    #[error("{message}")]
    ProviderUnavailable {
        message: String,
        retry_after_secs: u64,
    },
    /// A bug or an impossible state; the message is safe to show.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A failure talking to an upstream provider.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("could not connect to provider '{provider}' at {url}: {reason}; is it running?")]
    Connect {
        provider: String,
        url: String,
        reason: String,
    },
    #[error("provider '{provider}' did not answer within {secs} s; raise its timeout_secs if it is just slow")]
    Timeout { provider: String, secs: f64 },
    /// The upstream answered with a non-success status; its body and selected headers pass through.
    #[error("provider '{provider}' answered {status}")]
    Status {
        provider: String,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    #[error("provider '{provider}' broke the connection: {reason}")]
    Protocol { provider: String, reason: String },
}

impl GatewayError {
    pub fn invalid(message: impl Into<String>, param: impl Into<Option<String>>) -> Self {
        GatewayError::InvalidRequest {
            message: message.into(),
            param: param.into(),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            GatewayError::MalformedJson(_) | GatewayError::InvalidRequest { .. } => {
                StatusCode::BAD_REQUEST
            }
            GatewayError::WrongModelKind { .. } => StatusCode::BAD_REQUEST,
            GatewayError::ModelNotFound { .. } | GatewayError::RouteNotFound { .. } => {
                StatusCode::NOT_FOUND
            }
            GatewayError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayError::HostNotAllowed(_) | GatewayError::Forbidden(_) => StatusCode::FORBIDDEN,
            GatewayError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            GatewayError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            GatewayError::MockFault { status, .. } => *status,
            GatewayError::Upstream(e) => e.status_code(),
            GatewayError::ProviderUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            GatewayError::NotFound(_) => StatusCode::NOT_FOUND,
            GatewayError::LoopDetected(_) => StatusCode::LOOP_DETECTED,
            GatewayError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The envelope's `type`, also used as the outcome of an attempt in request logs.
    pub fn kind(&self) -> &'static str {
        self.envelope_parts().0
    }

    /// The `(type, code, param)` triple of the OpenAI envelope.
    fn envelope_parts(&self) -> (&'static str, Option<&'static str>, Option<String>) {
        match self {
            GatewayError::MalformedJson(_) => ("invalid_request_error", Some("invalid_json"), None),
            GatewayError::InvalidRequest { param, .. } => {
                ("invalid_request_error", None, param.clone())
            }
            GatewayError::WrongModelKind { .. } => (
                "invalid_request_error",
                Some("model_not_supported"),
                Some("model".into()),
            ),
            GatewayError::ModelNotFound { .. } => (
                "invalid_request_error",
                Some("model_not_found"),
                Some("model".into()),
            ),
            GatewayError::PayloadTooLarge { .. } => {
                ("invalid_request_error", Some("request_too_large"), None)
            }
            GatewayError::HostNotAllowed(_) => ("permission_error", Some("host_not_allowed"), None),
            GatewayError::Forbidden(_) => ("permission_error", Some("forbidden"), None),
            GatewayError::Unauthorized(_) => {
                ("invalid_request_error", Some("invalid_api_key"), None)
            }
            GatewayError::RouteNotFound { .. } => {
                ("invalid_request_error", Some("unknown_url"), None)
            }
            GatewayError::MethodNotAllowed { .. } => {
                ("invalid_request_error", Some("method_not_allowed"), None)
            }
            GatewayError::MockFault { status, .. } => match status.as_u16() {
                429 => ("rate_limit_error", Some("rate_limit_exceeded"), None),
                503 => ("server_error", Some("service_unavailable"), None),
                504 => ("timeout_error", Some("timeout"), None),
                _ => ("server_error", Some("mock_fault"), None),
            },
            GatewayError::Upstream(e) if matches!(e.as_ref(), UpstreamError::Timeout { .. }) => {
                ("timeout_error", Some("upstream_timeout"), None)
            }
            GatewayError::Upstream(_) => ("upstream_error", Some("upstream_unavailable"), None),
            GatewayError::ProviderUnavailable { .. } => {
                ("server_error", Some("provider_unavailable"), None)
            }
            GatewayError::NotFound(_) => ("invalid_request_error", Some("not_found"), None),
            GatewayError::LoopDetected(_) => ("invalid_request_error", Some("loop_detected"), None),
            GatewayError::Internal(_) => ("server_error", None, None),
        }
    }

    /// The OpenAI error object (the value under `"error"`), used for JSON bodies and mid-stream events.
    pub fn error_object(&self) -> serde_json::Value {
        let (kind, code, param) = self.envelope_parts();
        json!({ "message": self.to_string(), "type": kind, "param": param, "code": code })
    }
}

impl From<UpstreamError> for GatewayError {
    fn from(e: UpstreamError) -> Self {
        GatewayError::Upstream(Box::new(e))
    }
}

impl UpstreamError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            UpstreamError::Connect { .. } | UpstreamError::Protocol { .. } => {
                StatusCode::BAD_GATEWAY
            }
            UpstreamError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            UpstreamError::Status { status, .. } => *status,
        }
    }
}

/// OpenAI's rate-limit response headers, which OpenAI-compatible upstreams send too: passed to the
/// client with answers and errors alike, and exposed to browsers by CORS.
pub const RATELIMIT_HEADERS: &[&str] = &[
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
];

/// Upstream response headers worth passing back with an upstream error, besides
/// [`RATELIMIT_HEADERS`]: they tell clients when to retry.
const PASSED_ERROR_HEADERS: &[&str] = &["retry-after", "retry-after-ms", "x-should-retry"];

/// What a response's error was, left in its extensions for the request log (converting an error to a
/// response has no side effects; the middleware that records requests reads this).
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub kind: &'static str,
    pub message: String,
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let mut message = self.to_string();
        if let GatewayError::Upstream(upstream) = &self {
            if let UpstreamError::Status { body, .. } = upstream.as_ref() {
                // The log shows what the upstream said, not only that it failed.
                let said = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| v["error"]["message"].as_str().map(str::to_owned));
                if let Some(said) = said {
                    message = format!("{message}: {said}");
                }
            }
        }
        let info = ErrorInfo {
            kind: self.kind(),
            message,
        };
        let mut response = self.response_without_info();
        response.extensions_mut().insert(info);
        response
    }
}

impl GatewayError {
    fn response_without_info(self) -> Response {
        let status = self.status_code();
        if let GatewayError::Upstream(upstream) = &self {
            if let UpstreamError::Status {
                provider,
                headers,
                body,
                ..
            } = upstream.as_ref()
            {
                let mut response =
                    (status, normalize_upstream_error(provider, status, body)).into_response();
                let out = response.headers_mut();
                out.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                for name in PASSED_ERROR_HEADERS.iter().chain(RATELIMIT_HEADERS) {
                    if let Some(v) = headers.get(*name) {
                        out.insert(*name, v.clone());
                    }
                }
                return response;
            }
        }
        let body = json!({ "error": self.error_object() }).to_string();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        match &self {
            GatewayError::MockFault {
                retry_after_secs: Some(secs),
                ..
            }
            | GatewayError::ProviderUnavailable {
                retry_after_secs: secs,
                ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*secs));
            }
            _ => {}
        }
        response
    }
}

/// Keeps an upstream error body that is already a well-formed OpenAI envelope byte for byte; repairs
/// envelopes whose fields break the SDKs' expectations (see [`repair_envelope`]); wraps anything else
/// (flat vLLM/FastChat bodies, HTML from a proxy, plain text) so the SDKs still show a message.
fn normalize_upstream_error(provider: &str, status: StatusCode, body: &Bytes) -> Bytes {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    if let Some(v) = &parsed {
        if let Some(error) = v.get("error").and_then(|e| e.as_object()) {
            return match repair_envelope(error, status) {
                None => body.clone(),
                Some(fixed) => Bytes::from(json!({ "error": fixed }).to_string()),
            };
        }
    }
    let message = match &parsed {
        Some(v) => v
            .get("message")
            .or_else(|| v.get("detail"))
            .or_else(|| v.get("error"))
            .and_then(|m| m.as_str().map(str::to_owned))
            .unwrap_or_else(|| v.to_string()),
        None => String::from_utf8_lossy(&body[..body.len().min(2048)])
            .trim()
            .to_owned(),
    };
    let message = if message.is_empty() {
        format!("provider '{provider}' answered {status} with an empty body")
    } else {
        format!("provider '{provider}' answered {status}: {message}")
    };
    Bytes::from(
        json!({ "error": { "message": message, "type": error_type_for(status), "param": null, "code": null } })
            .to_string(),
    )
}

/// The envelope `type` that matches an HTTP status.
fn error_type_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "upstream_error",
    }
}

/// An upstream envelope fixed where the OpenAI schema is broken: `type` must be a string (Azure's
/// content filter sends `null`), `code` a string or null (vLLM sends the HTTP status as a number),
/// `message` a string. `param` and every extra field (`status`, `innererror`, …) are kept, in place.
/// `None` when nothing needs fixing, so the body passes through byte for byte.
fn repair_envelope(
    error: &serde_json::Map<String, serde_json::Value>,
    status: StatusCode,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    use serde_json::Value;
    let type_ok = error.get("type").is_some_and(Value::is_string);
    let code_ok = matches!(
        error.get("code"),
        None | Some(Value::Null | Value::String(_))
    );
    let message_ok = error.get("message").is_some_and(Value::is_string);
    if type_ok && code_ok && message_ok {
        return None;
    }
    let mut fixed = error.clone();
    if !message_ok {
        let message = match error.get("message") {
            None | Some(Value::Null) => format!("the upstream answered {status}"),
            Some(other) => other.to_string(),
        };
        fixed.insert("message".into(), Value::String(message));
    }
    if !type_ok {
        fixed.insert("type".into(), Value::String(error_type_for(status).into()));
    }
    if !code_ok {
        let code = match error.get("code") {
            Some(Value::Number(n)) => Value::String(n.to_string()),
            Some(Value::Bool(b)) => Value::String(b.to_string()),
            _ => Value::Null,
        };
        fixed.insert("code".into(), code);
    }
    if !fixed.contains_key("param") {
        fixed.insert("param".into(), Value::Null);
    }
    if !fixed.contains_key("code") {
        fixed.insert("code".into(), Value::Null);
    }
    Some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_upstream_errors_are_wrapped_in_the_envelope() {
        let body = Bytes::from_static(br#"{"object":"error","message":"bad things","code":400}"#);
        let out = normalize_upstream_error("vllm", StatusCode::BAD_REQUEST, &body);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(
            v["error"]["message"],
            "provider 'vllm' answered 400 Bad Request: bad things"
        );
        assert_eq!(v["error"]["type"], "invalid_request_error");
    }

    #[test]
    fn enveloped_upstream_errors_pass_through_unchanged() {
        let body =
            Bytes::from_static(br#"{"error":{"message":"x","type":"y","param":null,"code":"z"}}"#);
        assert_eq!(
            normalize_upstream_error("p", StatusCode::TOO_MANY_REQUESTS, &body),
            body
        );
    }

    #[test]
    fn azure_content_filter_errors_get_a_string_type_and_keep_their_details() {
        let body = Bytes::from_static(br#"{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"}}}}}"#);
        let out = normalize_upstream_error("azure", StatusCode::BAD_REQUEST, &body);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        let e = &v["error"];
        assert_eq!(e["type"], "invalid_request_error");
        assert_eq!(e["param"], "prompt");
        assert_eq!(e["code"], "content_filter");
        assert_eq!(e["status"], 400);
        assert_eq!(e["innererror"]["code"], "ResponsibleAIPolicyViolation");
        assert!(e["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("The response was filtered"));
        let keys: Vec<&str> = e
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            ["message", "type", "param", "code", "status", "innererror"],
            "fields stay in place"
        );
    }

    #[test]
    fn numeric_codes_become_strings() {
        let body = Bytes::from_static(
            br#"{"error":{"message":"too long","type":"BadRequestError","param":null,"code":400}}"#,
        );
        let out = normalize_upstream_error("vllm", StatusCode::BAD_REQUEST, &body);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["error"]["code"], "400");
        assert_eq!(v["error"]["type"], "BadRequestError");
        assert_eq!(v["error"]["message"], "too long");
        let no_type = Bytes::from_static(br#"{"error":{"message":"m"}}"#);
        let out = normalize_upstream_error("p", StatusCode::SERVICE_UNAVAILABLE, &no_type);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["error"]["type"], "upstream_error");
        assert!(v["error"]["code"].is_null() && v["error"]["param"].is_null());
    }

    #[test]
    fn plain_text_upstream_errors_keep_their_text() {
        let body = Bytes::from_static(b"<html>502 bad gateway</html>");
        let out = normalize_upstream_error("p", StatusCode::BAD_GATEWAY, &body);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert!(v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("502 bad gateway"));
    }
}
