//! The admin routes of the Connect page, merged into `/admin` (behind the admin guard):
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /snippets` | the tools, by category, and the values a snippet would use by default |
//! | `GET /snippets?tool=…&model=…&key=…&base_url=…&embed_model=…&autocomplete_model=…` | one tool's snippet |
//! | `GET /presets` | the provider presets, for the Providers page's "add from a preset" |
//! | `GET /models` | every model with the provider that serves it (the model pickers; `/v1/models` needs a gateway key once keys exist, and its `owned_by` is the upstream's own) |
//!
//! The default base URL is the one the gateway listens on (`127.0.0.1` when it listens on every
//! interface, since clients on this machine use that).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::GatewayError;
use crate::server::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/snippets", get(snippets))
        .route("/presets", get(presets))
        .route("/models", get(models))
}

/// The base URL local clients use to reach a gateway listening on `host:port`.
pub fn local_base_url(host: IpAddr, port: u16) -> String {
    let host = if host.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host
    };
    format!("http://{}:{port}/v1", crate::server::display_host(host))
}

const PARAMS: &[&str] = &[
    "tool",
    "model",
    "key",
    "base_url",
    "embed_model",
    "autocomplete_model",
];

async fn snippets(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    if let Some(unknown) = params.keys().find(|k| !PARAMS.contains(&k.as_str())) {
        return Err(GatewayError::invalid(
            format!("unknown parameter '{unknown}'; use {}", PARAMS.join(", ")),
            Some(unknown.clone()),
        ));
    }
    let get = |k: &str| params.get(k).filter(|v| !v.trim().is_empty()).cloned();
    let keys_required = !state.keys.is_empty();
    let default_base = local_base_url(state.server.host, state.server.port);
    let live = state.live();
    let default_model = live
        .config
        .routing
        .default
        .clone()
        .or_else(|| {
            live.registry
                .models()
                .iter()
                .find(|m| m.id == super::DEFAULT_MODEL)
                .map(|m| m.id.clone())
        })
        .unwrap_or_else(|| super::DEFAULT_MODEL.to_owned());
    let request = super::Request {
        base_url: get("base_url").unwrap_or_else(|| default_base.clone()),
        model: get("model").or_else(|| Some(default_model.clone())),
        api_key: get("key"),
        keys_required,
        embed_model: get("embed_model"),
        autocomplete_model: get("autocomplete_model"),
    };
    let Some(tool) = get("tool") else {
        let mut categories: Vec<&str> = Vec::new();
        for t in super::tools() {
            if !categories.contains(&t.category) {
                categories.push(t.category);
            }
        }
        return Ok(Json(json!({
            "object": "list",
            "data": super::list(),
            "categories": categories,
            "defaults": {
                "base_url": default_base, "model": default_model, "keys_required": keys_required,
                "dummy_key": super::DUMMY_KEY, "key_placeholder": super::KEY_PLACEHOLDER,
            },
        })));
    };
    let bad = |e: super::SnippetError| {
        let param = match &e {
            super::SnippetError::UnknownTool(_) => "tool",
            super::SnippetError::BadBaseUrl(_) => "base_url",
            super::SnippetError::UnsafeValue { field, .. } => match *field {
                "key" => "key",
                "embed model" => "embed_model",
                "autocomplete model" => "autocomplete_model",
                _ => "model",
            },
        };
        GatewayError::invalid(e.to_string(), Some(param.to_owned()))
    };
    let tool = super::find(&tool).map_err(bad)?;
    let ctx = super::Context::new(&request).map_err(bad)?;
    let rendered = super::render(tool, &ctx);
    serde_json::to_value(&rendered)
        .map(Json)
        .map_err(|e| GatewayError::Internal(format!("could not encode the snippet: {e}")))
}

async fn presets() -> Json<Value> {
    let data: Vec<Value> = crate::providers::presets::PRESETS
        .iter()
        .map(|p| {
            json!({
                "name": p.name, "label": p.label, "kind": p.kind.as_str(), "base_url": p.base_url,
                "key_env": p.key_env, "local": p.local, "responses_api": p.responses_api,
                "needs_key": p.key_env.is_some() && !p.local,
            })
        })
        .collect();
    Json(json!({ "object": "list", "data": data }))
}

/// Every model a snippet or a route can name, grouped by the provider that serves it (aliases last).
async fn models(State(state): State<Arc<AppState>>) -> Json<Value> {
    let live = state.live();
    live.registry.refresh_for_listing().await;
    let mut data: Vec<Value> = Vec::new();
    for p in live.registry.providers() {
        for m in p.models() {
            data.push(json!({ "id": m.id, "owned_by": m.owned_by, "provider": p.id() }));
        }
    }
    for r in &live.config.routes {
        data.push(json!({ "id": r.model, "owned_by": "switchboard-alias", "provider": null, "alias": true }));
    }
    Json(json!({ "object": "list", "data": data }))
}
