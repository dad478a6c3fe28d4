//! Front doors for other APIs, translated to and from the gateway's chat form: the Anthropic Messages
//! API (`/v1/messages`, Claude Code) and OpenAI's Responses API (`/v1/responses`, Codex CLI).
//!
//! Not built yet: no routes are registered.

use std::sync::Arc;

use axum::Router;

use crate::server::AppState;

/// Routes under `/v1` (merged into the OpenAI router, so CORS and keys apply to them too).
pub fn v1_routes() -> Router<Arc<AppState>> {
    Router::new()
}
