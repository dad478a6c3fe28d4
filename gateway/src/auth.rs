//! Access control: gateway keys on the model API, and the guard in front of the admin API.
//!
//! Threat model (ARCHITECTURE.md has the full text): the gateway runs on the user's machine, so the
//! dangerous callers are (1) web pages in the user's browser — stopped by the Host check (DNS
//! rebinding), the Origin check and `SameSite=Strict` on the dashboard's cookie, and framing is denied;
//! (2) other machines once the gateway listens beyond loopback — stopped by gateway keys, which are
//! required before such a bind is allowed, and by the admin credential the admin API then demands.
//! Local programs without an `Origin` (curl, the CLI) may use the admin API while no keys exist, so
//! OpenAI-mocker's curl examples work as they are.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::GatewayError;
use crate::server::AppState;

/// The name of the gateway key a request came with, for request logs.
#[derive(Debug, Clone)]
pub struct ClientKey(pub String);

/// Name of the dashboard's admin session cookie.
pub const ADMIN_COOKIE: &str = "sb_admin";

/// The `Set-Cookie` value that carries `credential` as the admin session: readable by no script
/// (HttpOnly), sent only by pages of the gateway's own site (SameSite=Strict) and only to the admin
/// API (Path=/admin), gone when the browser closes. `None` ends the session.
pub fn admin_cookie(credential: Option<&str>) -> Option<HeaderValue> {
    let text = match credential {
        Some(value) => format!("{ADMIN_COOKIE}={value}; Path=/admin; HttpOnly; SameSite=Strict"),
        None => format!("{ADMIN_COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0"),
    };
    HeaderValue::from_str(&text).ok()
}

/// The credential a request presents: `Authorization: Bearer …`, `x-api-key` or `api-key`.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    bearer
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .or_else(|| headers.get("api-key").and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// Each credential header present, with the key it carries.
fn credential_headers(headers: &HeaderMap) -> Vec<(header::HeaderName, String)> {
    let mut out = Vec::new();
    if let Some(k) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
    {
        out.push((header::AUTHORIZATION, k.trim().to_owned()));
    }
    for name in ["x-api-key", "api-key"] {
        if let Some(k) = headers.get(name).and_then(|v| v.to_str().ok()) {
            out.push((header::HeaderName::from_static(name), k.trim().to_owned()));
        }
    }
    out
}

/// While keys exist, a model request must carry one of them.
pub async fn require_key(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    if state.keys.is_empty() {
        return next.run(request).await;
    }
    // Any of the credential headers may carry the gateway key; that header is removed so the key never
    // travels upstream, and the others stay (a pass-through provider can still get the client's own
    // upstream key, e.g. gateway key in `x-api-key`, upstream key in `Authorization`).
    let found = credential_headers(request.headers())
        .into_iter()
        .find_map(|(name, key)| state.keys.check(&key).map(|record| (name, record)));
    match found {
        Some((name, record)) => {
            request.headers_mut().remove(name);
            crate::observe::note(|p| p.record.key_name = Some(record.name.clone()));
            request.extensions_mut().insert(ClientKey(record.name));
            next.run(request).await
        }
        None => GatewayError::Unauthorized(
            "this gateway requires an API key: send Authorization: Bearer <gateway key> (keys are created in the dashboard or with POST /admin/auth/keys)".into(),
        )
        .into_response(),
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether `origin` is the gateway's own (the dashboard served by this gateway).
fn same_origin(origin: &str, state: &AppState) -> bool {
    let Ok(uri) = origin.parse::<axum::http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let known = crate::server::is_loopback_host(&host)
        || state.server.allowed_hosts.contains(&host)
        || host == state.server.host.to_string();
    uri.scheme_str() == Some("http") && known && uri.port_u16().unwrap_or(80) == state.server.port
}

/// Guards `/admin`: no foreign origin, no form posts, no framing; an admin credential once keys exist.
pub async fn admin_guard(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !same_origin(origin, &state) {
            return GatewayError::Forbidden(format!(
                "the admin API only answers the dashboard served by this gateway, not pages from {origin}"
            ))
            .into_response();
        }
    }
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return GatewayError::Forbidden("cross-site requests to the admin API are refused".into())
            .into_response();
    }
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let form_like = [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "text/plain",
        ]
        .iter()
        .any(|t| content_type.starts_with(t));
        if form_like {
            return GatewayError::Forbidden(
                "the admin API takes JSON (Content-Type: application/json), not form posts".into(),
            )
            .into_response();
        }
    }
    if !state.keys.is_empty() {
        let by_header = presented_key(headers).is_some_and(|k| state.keys.check_admin(k));
        let by_cookie = cookie(headers, ADMIN_COOKIE).is_some_and(|c| state.keys.check_admin(c));
        if !by_header && !by_cookie {
            return GatewayError::Unauthorized(
                "gateway keys are on, so the admin API needs the admin token: send Authorization: Bearer <token> (it is in the file admin-token in the gateway's data directory) or an admin key".into(),
            )
            .into_response();
        }
    }
    let mut response = next.run(request).await;
    deny_framing(response.headers_mut());
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Pages and API answers of the gateway are never shown inside another site's frame.
pub fn deny_framing(headers: &mut HeaderMap) {
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
}
