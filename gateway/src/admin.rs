//! The admin API under `/admin`: what the dashboard (and curl) use to manage the gateway — gateway
//! keys, run-time mock models, model discovery, providers, routes and routing settings.
//!
//! Every route sits behind [`crate::auth::admin_guard`]. Changes to providers and routes are written
//! to the config file (atomically, comments kept) and applied at once, exactly as a hand edit would be.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::{Config, MockModelKind};
use crate::error::GatewayError;
use crate::providers::Provider;
use crate::server::AppState;

pub fn routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/auth/keys",
            get(list_keys).post(create_key).delete(revoke_all_keys),
        )
        .route("/auth/keys/{key}", delete(revoke_key))
        .route("/models/load", post(load_model))
        .route("/models/unload", post(unload_model))
        .route("/models/unload_all", post(unload_all_models))
        .route("/models/refresh", post(refresh_models))
        .route("/config", get(show_config))
        .route("/providers/{id}", put(put_provider).delete(delete_provider))
        .route("/routes/{*model}", put(put_route).delete(delete_route))
        .route("/routing", put(put_routing))
        .route("/health", get(health_now))
        .route("/health/stream", get(health_stream))
        .route("/system", get(system))
        .route("/discover", get(discover))
        .route("/session", post(start_session).delete(end_session))
        .merge(crate::snippets::routes())
        .layer(middleware::from_fn_with_state(
            state,
            crate::auth::admin_guard,
        ))
}

/// Parses a JSON body leniently: curl's `-d` without a content type is fine.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, GatewayError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return crate::wire::typed(b"{}");
    }
    crate::wire::typed(bytes)
}

/// `POST /admin/session`: the credential this request passed the guard with (the admin token or an
/// admin key, in `Authorization`) becomes the HttpOnly admin cookie, so the dashboard of a gateway
/// that listens beyond loopback can use the admin API's event streams too (EventSource cannot send
/// headers). Without keys no credential is needed and none is set.
async fn start_session(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let credential = crate::auth::presented_key(&headers)
        .filter(|k| !state.keys.is_empty() && state.keys.check_admin(k));
    if let Some(cookie) = credential.and_then(|k| crate::auth::admin_cookie(Some(k))) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `DELETE /admin/session`: forgets the cookie (the tab's own copy of the token is the page's to drop).
async fn end_session() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(cookie) = crate::auth::admin_cookie(None) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

fn key_json(record: &crate::keys::KeyRecord) -> Value {
    json!({ "id": record.id, "name": record.name, "key": record.masked, "created": record.created, "admin": record.admin })
}

async fn list_keys(State(state): State<Arc<AppState>>) -> Json<Value> {
    let keys: Vec<Value> = state.keys.list().iter().map(key_json).collect();
    Json(json!({ "object": "list", "data": keys, "auth_required": !keys.is_empty() }))
}

#[derive(Deserialize)]
struct NewKey {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    admin: bool,
}

async fn create_key(
    State(state): State<Arc<AppState>>,
    bytes: bytes::Bytes,
) -> Result<(StatusCode, Json<Value>), GatewayError> {
    let req: NewKey = body(&bytes)?;
    let name = req.name.unwrap_or_default();
    let (record, key) = state.keys.create(&name, req.admin).map_err(|e| match e {
        crate::keys::KeyError::EmptyName => {
            GatewayError::invalid(e.to_string(), Some("name".into()))
        }
        other => GatewayError::Internal(other.to_string()),
    })?;
    tracing::info!(key = %record.masked, name = %record.name, "gateway key created; /v1 now requires a key");
    let mut out = key_json(&record);
    out["key"] = json!(key);
    out["masked"] = json!(record.masked);
    Ok((StatusCode::CREATED, Json(out)))
}

async fn revoke_key(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    match state.keys.revoke(&key) {
        Ok(true) => Ok(Json(
            json!({ "deleted": true, "auth_required": !state.keys.is_empty() }),
        )),
        Ok(false) => Err(GatewayError::NotFound(
            "no gateway key matches; GET /admin/auth/keys lists them by id".into(),
        )),
        Err(e) => Err(GatewayError::Internal(e.to_string())),
    }
}

async fn revoke_all_keys(State(state): State<Arc<AppState>>) -> Result<Json<Value>, GatewayError> {
    let n = state
        .keys
        .revoke_all()
        .map_err(|e| GatewayError::Internal(e.to_string()))?;
    Ok(Json(json!({ "deleted": n, "auth_required": false })))
}

fn with_mock<T>(
    state: &AppState,
    f: impl FnOnce(&crate::providers::mock::MockProvider) -> T,
) -> Result<T, GatewayError> {
    let live = state.live();
    match live.registry.provider("mock").map(|p| &**p) {
        Some(Provider::Mock(m)) => Ok(f(m)),
        _ => Err(GatewayError::invalid(
            "the mock provider is off; set [mock] enabled = true to manage mock models",
            None,
        )),
    }
}

#[derive(Deserialize)]
struct LoadModel {
    model_id: String,
    #[serde(default)]
    model_type: Option<MockModelKind>,
    #[serde(default)]
    owned_by: Option<String>,
}

async fn load_model(
    State(state): State<Arc<AppState>>,
    bytes: bytes::Bytes,
) -> Result<Json<Value>, GatewayError> {
    let req: LoadModel = body(&bytes)?;
    if req.model_id.trim().is_empty() {
        return Err(GatewayError::invalid(
            "'model_id' must not be empty",
            Some("model_id".into()),
        ));
    }
    let kind = req.model_type.unwrap_or(MockModelKind::Chat);
    let owned_by = req.owned_by.unwrap_or_else(|| "switchboard-mock".into());
    with_mock(&state, |m| m.load(&req.model_id, kind, &owned_by))?;
    Ok(Json(
        json!({ "loaded": req.model_id, "model_type": kind_name(kind), "owned_by": owned_by }),
    ))
}

fn kind_name(kind: MockModelKind) -> &'static str {
    match kind {
        MockModelKind::Chat => "chat",
        MockModelKind::Completion => "completion",
        MockModelKind::Reasoning => "reasoning",
        MockModelKind::Embedding => "embedding",
        MockModelKind::Rerank => "rerank",
    }
}

#[derive(Deserialize)]
struct UnloadModel {
    model_id: String,
}

async fn unload_model(
    State(state): State<Arc<AppState>>,
    bytes: bytes::Bytes,
) -> Result<Json<Value>, GatewayError> {
    let req: UnloadModel = body(&bytes)?;
    if with_mock(&state, |m| m.unload(&req.model_id))? {
        Ok(Json(json!({ "unloaded": req.model_id })))
    } else {
        Err(GatewayError::ModelNotFound {
            message: format!(
                "the mock provider has no model '{}' to unload",
                req.model_id
            ),
        })
    }
}

async fn unload_all_models(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Value>, GatewayError> {
    let n = with_mock(&state, |m| m.unload_all())?;
    Ok(Json(json!({ "unloaded": n })))
}

async fn refresh_models(State(state): State<Arc<AppState>>) -> Json<Value> {
    let live = state.live();
    futures_util::future::join_all(live.registry.providers().iter().map(|p| p.refresh_models()))
        .await;
    let data: Vec<Value> = live
        .registry
        .models()
        .iter()
        .map(|m| json!({ "id": m.id, "owned_by": m.owned_by }))
        .collect();
    Json(json!({ "object": "list", "data": data }))
}

/// The effective configuration, secrets masked.
pub fn config_json(config: &Config) -> Value {
    let providers: Vec<Value> = config
        .providers
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "kind": format!("{:?}", p.kind).to_lowercase(), "base_url": p.base_url,
                "api_key": p.api_key.as_ref().map(|k| k.masked()),
                "models": p.models, "timeout_secs": p.timeout.as_secs_f64(),
                "connect_timeout_secs": p.connect_timeout.as_secs_f64(),
                "headers": p.headers.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let routes: Vec<Value> = config
        .routes
        .iter()
        .map(|r| json!({ "model": r.model, "targets": r.targets, "retries": r.retries, "params": r.params }))
        .collect();
    json!({
        "server": {
            "host": config.server.host.to_string(), "port": config.server.port,
            "allowed_hosts": config.server.allowed_hosts, "cors_origins": config.server.cors_origins,
            "max_body_bytes": config.server.max_body_bytes,
        },
        "mock": {
            "enabled": config.mock.enabled,
            "models": config.mock.models.iter().map(|m| json!({ "id": m.id, "type": kind_name(m.kind) })).collect::<Vec<_>>(),
        },
        "providers": providers,
        "routes": routes,
        "routing": {
            "default": config.routing.default, "ignore_client_model": config.routing.ignore_client_model,
            "force_mock": config.routing.force_mock, "retries": config.routing.retries,
        },
    })
}

async fn show_config(State(state): State<Arc<AppState>>) -> Json<Value> {
    let live = state.live();
    let mut out = config_json(&live.config);
    out["path"] = json!(state.source.path().map(|p| p.display().to_string()));
    out["config_error"] = json!(state.source.last_error());
    Json(out)
}

/// JSON → TOML for values the admin API writes into the file.
fn to_toml(value: &Value) -> Result<toml_edit::Value, GatewayError> {
    Ok(match value {
        Value::String(s) => s.as_str().into(),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.into(),
            (None, Some(f)) => f.into(),
            _ => {
                return Err(GatewayError::invalid(
                    format!("number {n} does not fit in the config"),
                    None,
                ))
            }
        },
        Value::Array(items) => {
            let mut a = toml_edit::Array::new();
            for item in items {
                a.push(to_toml(item)?);
            }
            toml_edit::Value::Array(a)
        }
        Value::Object(map) => {
            let mut t = toml_edit::InlineTable::new();
            for (k, v) in map {
                t.insert(k, to_toml(v)?);
            }
            toml_edit::Value::InlineTable(t)
        }
        Value::Null => {
            return Err(GatewayError::invalid(
                "null values cannot be written to the config; leave the field out",
                None,
            ))
        }
    })
}

/// Finds the `[[name]]` table whose `key` equals `value`; returns its index.
fn find_table(doc: &toml_edit::DocumentMut, name: &str, key: &str, value: &str) -> Option<usize> {
    doc.get(name)?
        .as_array_of_tables()?
        .iter()
        .position(|t| t.get(key).and_then(|v| v.as_str()) == Some(value))
}

fn table_from(fields: &serde_json::Map<String, Value>) -> Result<toml_edit::Table, GatewayError> {
    let mut table = toml_edit::Table::new();
    for (k, v) in fields {
        if !v.is_null() {
            table.insert(k, toml_edit::Item::Value(to_toml(v)?));
        }
    }
    Ok(table)
}

/// Replaces (or appends) one `[[name]]` table, keeping every other line of the file.
fn upsert(
    doc: &mut toml_edit::DocumentMut,
    name: &str,
    key: &str,
    value: &str,
    table: toml_edit::Table,
) {
    let index = find_table(doc, name, key, value);
    if doc.get(name).and_then(|i| i.as_array_of_tables()).is_none() {
        doc.insert(
            name,
            toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()),
        );
    }
    if let Some(array) = doc.get_mut(name).and_then(|i| i.as_array_of_tables_mut()) {
        match index.and_then(|i| array.get_mut(i)) {
            Some(existing) => *existing = table,
            None => array.push(table),
        }
    }
}

fn remove(doc: &mut toml_edit::DocumentMut, name: &str, key: &str, value: &str) -> bool {
    let Some(index) = find_table(doc, name, key, value) else {
        return false;
    };
    if let Some(array) = doc.get_mut(name).and_then(|i| i.as_array_of_tables_mut()) {
        array.remove(index);
    }
    true
}

/// Writes the edit and swaps in the new config.
/// Validating the edited file may read keychain entries, which blocks: it runs on a blocking thread.
async fn apply(
    state: &Arc<AppState>,
    edit: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<(), GatewayError> + Send + 'static,
) -> Result<Json<Value>, GatewayError> {
    let writer = state.clone();
    let config = tokio::task::spawn_blocking(move || writer.source.update(edit))
        .await
        .map_err(|e| GatewayError::Internal(format!("the config writer failed: {e}")))??;
    let previous = state.live();
    let live = crate::reload::build_live(config, Some(&previous))?;
    let out = config_json(&live.config);
    state.live.store(Arc::new(live));
    Ok(Json(out))
}

async fn put_provider(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    bytes: bytes::Bytes,
) -> Result<Json<Value>, GatewayError> {
    let mut fields: serde_json::Map<String, Value> = body(&bytes)?;
    fields.insert("id".into(), json!(id));
    // A key typed into the dashboard goes to the keychain (or the 0600 secrets file), never into the
    // config file: the file only says where to find it.
    if let Some(Value::String(key)) = fields.get("api_key").cloned() {
        if !key.trim().is_empty() {
            store_secret(&state, &id, key).await?;
            fields.insert("api_key".into(), json!({ "keychain": id }));
        }
    }
    let table = table_from(&fields)?;
    apply(&state, move |doc| {
        upsert(doc, "providers", "id", &id, table);
        Ok(())
    })
    .await
}

/// Saves an upstream key under the provider's id, off the async threads (keychains block).
async fn store_secret(state: &AppState, label: &str, key: String) -> Result<(), GatewayError> {
    let dir = state
        .live()
        .config
        .server
        .data_dir
        .clone()
        .or_else(|| state.source.env().data_dir.clone());
    let store = if state.source.env().os_keychain {
        crate::secrets::SecretStore::new(dir.as_deref())
    } else {
        crate::secrets::SecretStore::without_keychain(dir.as_deref())
    };
    let label = label.to_owned();
    tokio::task::spawn_blocking(move || store.set(&label, &crate::config::Secret::new(key)))
        .await
        .map_err(|e| GatewayError::Internal(format!("the key store failed: {e}")))?
        .map(|_| ())
        .map_err(|e| GatewayError::Internal(format!("cannot store the key: {e}")))
}

async fn delete_provider(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    apply(&state, move |doc| {
        if remove(doc, "providers", "id", &id) {
            Ok(())
        } else {
            Err(GatewayError::invalid(
                format!("no provider '{id}' in the config file"),
                None,
            ))
        }
    })
    .await
}

async fn put_route(
    State(state): State<Arc<AppState>>,
    Path(model): Path<String>,
    bytes: bytes::Bytes,
) -> Result<Json<Value>, GatewayError> {
    let mut fields: serde_json::Map<String, Value> = body(&bytes)?;
    fields.insert("model".into(), json!(model));
    let table = table_from(&fields)?;
    apply(&state, move |doc| {
        upsert(doc, "routes", "model", &model, table);
        Ok(())
    })
    .await
}

async fn delete_route(
    State(state): State<Arc<AppState>>,
    Path(model): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    apply(&state, move |doc| {
        if remove(doc, "routes", "model", &model) {
            Ok(())
        } else {
            Err(GatewayError::invalid(
                format!("no route for '{model}' in the config file"),
                None,
            ))
        }
    })
    .await
}

async fn put_routing(
    State(state): State<Arc<AppState>>,
    bytes: bytes::Bytes,
) -> Result<Json<Value>, GatewayError> {
    let fields: serde_json::Map<String, Value> = body(&bytes)?;
    apply(&state, move |doc| {
        if doc.get("routing").and_then(|i| i.as_table()).is_none() {
            doc.insert("routing", toml_edit::Item::Table(toml_edit::Table::new()));
        }
        let table = doc
            .get_mut("routing")
            .and_then(|i| i.as_table_mut())
            .ok_or_else(|| GatewayError::Internal("[routing] is not a table".into()))?;
        for (k, v) in &fields {
            if v.is_null() {
                table.remove(k);
            } else {
                table.insert(k, toml_edit::Item::Value(to_toml(v)?));
            }
        }
        Ok(())
    })
    .await
}

async fn health_now(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(crate::server::health_snapshot(&state))
}

/// Provider state changes as server-sent events: the current state at once, then one `health` event
/// per change, with `: keep-alive` comments in between.
async fn health_stream(State(state): State<Arc<AppState>>) -> axum::response::Response {
    let changes = state.health.subscribe();
    let state_for_close = state.clone();
    let first = crate::server::health_snapshot(&state);
    let events = futures_util::stream::unfold(
        (state, changes, Some(first)),
        |(state, mut changes, first)| async move {
            if let Some(snapshot) = first {
                return Some((
                    Ok::<_, std::convert::Infallible>(health_event(&snapshot)),
                    (state, changes, None),
                ));
            }
            let event = tokio::select! {
                changed = changes.changed() => match changed {
                    Ok(()) => health_event(&crate::server::health_snapshot(&state)),
                    Err(_) => return None,
                },
                () = tokio::time::sleep(std::time::Duration::from_secs(15)) => bytes::Bytes::from_static(b": keep-alive\n\n"),
            };
            Some((Ok(event), (state, changes, None)))
        },
    );
    let events = futures_util::StreamExt::take_until(events, state_for_close.closed_owned());
    let mut r = axum::response::Response::new(axum::body::Body::from_stream(events));
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/event-stream"),
    );
    r
}

fn health_event(snapshot: &Value) -> bytes::Bytes {
    bytes::Bytes::from(format!("event: health\ndata: {snapshot}\n\n"))
}

async fn system(State(state): State<Arc<AppState>>) -> Json<Value> {
    let monitor = state.system.clone();
    let mut out = tokio::task::spawn_blocking(move || monitor.snapshot())
        .await
        .unwrap_or_default();
    out["log_dropped"] = json!(state.recorder.dropped());
    Json(out)
}

/// Local runtimes answering on this machine, ready to add as providers.
async fn discover(State(state): State<Arc<AppState>>) -> Json<Value> {
    let live = state.live();
    let monitor = state.system.clone();
    let processes = tokio::task::spawn_blocking(move || monitor.process_names())
        .await
        .unwrap_or_default();
    let found = crate::observe::discover::discover(
        &live.config.discovery.ports,
        &processes,
        live.config.discovery.timeout,
    )
    .await;
    let configured: Vec<&str> = live
        .config
        .providers
        .iter()
        .map(|p| p.base_url.as_str())
        .collect();
    let data: Vec<Value> = found
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["configured"] = json!(configured
                .iter()
                .any(|b| b.trim_end_matches("/v1") == f.base_url.trim_end_matches("/v1")));
            v
        })
        .collect();
    Json(json!({ "object": "list", "data": data }))
}
