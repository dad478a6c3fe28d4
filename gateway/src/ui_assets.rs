//! Serves the dashboard (`ui/`, built by Vite into `ui/dist`) at `/ui/`, from files embedded in the
//! binary: `build.rs` points `SWITCHBOARD_UI_DIR` at `ui/dist` when it has been built, or at an empty
//! directory when not, so `cargo build` never needs Node. Without a built dashboard `/ui/` keeps
//! serving the small server-rendered status page, which says how to build the real one.
//!
//! - `/ui/assets/*` are content-hashed by Vite: cached for a year, `immutable`;
//! - `index.html` (and any path that is not a file: the dashboard routes in the browser) is `no-cache`,
//!   so a new gateway version is picked up at once;
//! - a path that looks like a file but is missing is a 404, not the page (a stale hashed asset must
//!   fail visibly rather than be parsed as HTML);
//! - every answer forbids framing and carries a strict CSP (scripts only from the gateway itself; the
//!   desktop window's IPC endpoints, `ipc:` and `http://ipc.localhost`, are the only other connections).
//!
//! The admin cookie: when the gateway listens on a loopback address (so every client is on this
//! machine), the page comes with `sb_admin` = the admin token (HttpOnly, SameSite=Strict, Path=/admin).
//! The dashboard's admin calls then pass the admin guard once gateway keys exist, without the user
//! handling the token; a web page elsewhere can neither read the cookie nor make the browser send it
//! (SameSite=Strict, and the guard refuses foreign origins anyway). A gateway listening beyond loopback
//! sends no cookie with the page: the user signs in with the admin token, and `POST /admin/session`
//! turns it into the same cookie (`admin.rs`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use include_dir::{include_dir, Dir};

use crate::server::AppState;

static DIST: Dir<'static> = include_dir!("$SWITCHBOARD_UI_DIR");

/// The policy for the dashboard's pages: everything from the gateway itself, nothing framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ipc: http://ipc.localhost; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Whether the dashboard was built into this binary.
pub fn built() -> bool {
    DIST.get_file("index.html").is_some()
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn secure(response: &mut Response) {
    crate::auth::deny_framing(response.headers_mut());
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn file(path: &str, bytes: &'static [u8], cache: &'static str) -> Response {
    let mut r = (
        [
            (header::CONTENT_TYPE, content_type(path)),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response();
    secure(&mut r);
    r
}

/// The page, with the admin cookie when every client is on this machine.
async fn page(state: &AppState) -> Response {
    let Some(index) = DIST.get_file("index.html") else {
        let mut r = crate::status_page::render(state).into_response();
        secure(&mut r);
        return r;
    };
    let mut r = file("index.html", index.contents(), "no-cache");
    if state.server.host.is_loopback() {
        if let Some(v) = crate::auth::admin_cookie(Some(state.keys.admin_token().expose())) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    r
}

/// `GET /ui` → `/ui/`.
pub async fn redirect() -> Redirect {
    Redirect::permanent("/ui/")
}

/// `GET /ui/`.
pub async fn index(State(state): State<Arc<AppState>>) -> Response {
    page(&state).await
}

/// `GET /ui/{*path}`: a built file, or the page for the dashboard's own routes.
pub async fn asset(State(state): State<Arc<AppState>>, Path(path): Path<String>) -> Response {
    let path = path.trim_start_matches('/');
    if path == "index.html" {
        return page(&state).await;
    }
    if let Some(f) = DIST.get_file(path) {
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return file(path, f.contents(), cache);
    }
    let last = path.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        let mut r = (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no file /ui/{path} in this build of the dashboard\n"),
        )
            .into_response();
        secure(&mut r);
        return r;
    }
    page(&state).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_cover_what_vite_emits() {
        assert_eq!(
            content_type("assets/index-abc.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("assets/index-abc.css"),
            "text/css; charset=utf-8"
        );
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("x.unknown"), "application/octet-stream");
    }
}
