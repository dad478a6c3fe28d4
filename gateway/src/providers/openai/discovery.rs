//! Model discovery: the upstream's model list, cached, refreshed when stale, and the provider's health
//! summary that comes with it. OpenAI-compatible servers answer `GET {base}/models`
//! (`{"data":[{"id":…}]}`); Ollama is asked natively, `GET {root}/api/tags` (`{"models":[{"name":…}]}`),
//! which also tells whether the server runs at all.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::describe_reqwest;
use super::upstream::{self, display_url};
use crate::config::ProviderConfig;
use crate::providers::ModelInfo;

/// Discovered model lists older than this are refreshed when a request names an unknown model.
const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(30);
/// Upper bound for one model discovery request.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct Discovery {
    pub models: Vec<ModelInfo>,
    pub refreshed_at: Option<Instant>,
    pub last_error: Option<String>,
}

pub struct Models {
    state: RwLock<Discovery>,
    refresh: tokio::sync::Mutex<()>,
    /// No static list: the upstream is asked.
    discovers: bool,
}

impl Models {
    pub fn new(cfg: &ProviderConfig) -> Self {
        let models = cfg
            .models
            .iter()
            .map(|id| ModelInfo {
                id: id.clone(),
                created: 0,
                owned_by: cfg.id.clone(),
            })
            .collect();
        Models {
            state: RwLock::new(Discovery {
                models,
                ..Discovery::default()
            }),
            refresh: tokio::sync::Mutex::new(()),
            discovers: cfg.models.is_empty(),
        }
    }

    pub fn list(&self) -> Vec<ModelInfo> {
        self.state
            .read()
            .map(|d| d.models.clone())
            .unwrap_or_default()
    }

    /// Whether `model` is listed; with `latest_alias`, `llama3` also matches `llama3:latest` (Ollama
    /// resolves a bare name to its `latest` tag).
    pub fn contains(&self, model: &str, latest_alias: bool) -> bool {
        self.state
            .read()
            .map(|d| {
                d.models.iter().any(|m| {
                    m.id == model
                        || (latest_alias
                            && !model.contains(':')
                            && m.id.strip_suffix(":latest") == Some(model))
                })
            })
            .unwrap_or(false)
    }

    pub fn never_discovered(&self) -> bool {
        self.discovers
            && self
                .state
                .read()
                .map(|d| d.refreshed_at.is_none())
                .unwrap_or(true)
    }

    pub fn is_stale(&self) -> bool {
        self.discovers
            && self
                .state
                .read()
                .map(|d| {
                    d.refreshed_at
                        .is_none_or(|t| t.elapsed() > DISCOVERY_MAX_AGE)
                })
                .unwrap_or(true)
    }

    /// Refreshes the list from the upstream; concurrent callers share one request.
    pub async fn refresh(&self, cfg: &ProviderConfig, client: &reqwest::Client) {
        if !self.discovers {
            return;
        }
        let started = Instant::now();
        let _guard = self.refresh.lock().await;
        if let Ok(d) = self.state.read() {
            if d.refreshed_at.is_some_and(|t| t > started) {
                return;
            }
        }
        let result = fetch(cfg, client).await;
        if let Ok(mut d) = self.state.write() {
            d.refreshed_at = Some(Instant::now());
            match result {
                Ok(models) => {
                    d.models = models;
                    d.last_error = None;
                }
                Err(e) => {
                    tracing::warn!(provider = %cfg.id, "model discovery failed: {e}");
                    d.last_error = Some(e);
                }
            }
        }
    }

    /// Whether the upstream answers its model list: a discovering cache refreshes (and keeps what it
    /// learns), a static one just asks.
    pub async fn probe(
        &self,
        cfg: &ProviderConfig,
        client: &reqwest::Client,
    ) -> Result<(), String> {
        if !self.discovers {
            return fetch(cfg, client).await.map(|_| ());
        }
        self.refresh(cfg, client).await;
        match self.state.read().ok().and_then(|d| d.last_error.clone()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `(status, model count, last error)` for `/health`.
    pub fn health(&self) -> (&'static str, usize, Option<String>) {
        let Ok(d) = self.state.read() else {
            return ("down", 0, Some("state unavailable".into()));
        };
        let status = match (&d.last_error, self.discovers, d.refreshed_at.is_some()) {
            (Some(_), _, _) => "down",
            (None, true, false) => "unknown",
            (None, false, _) => "configured",
            (None, true, true) => "up",
        };
        (status, d.models.len(), d.last_error.clone())
    }
}

async fn fetch(cfg: &ProviderConfig, client: &reqwest::Client) -> Result<Vec<ModelInfo>, String> {
    let url = upstream::models_url(cfg);
    let shown = display_url(&url);
    // Discovery uses the provider's own key; a pass-through provider without one asks unsigned.
    let key = cfg.api_key.as_ref().map(|k| k.expose());
    let request = upstream::sign(cfg, client.get(&url), key).timeout(DISCOVERY_TIMEOUT);
    let response = request.send().await.map_err(|e| describe_reqwest(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {shown} answered {status}"));
    }
    let bytes = response.bytes().await.map_err(|e| describe_reqwest(&e))?;
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("GET {shown} did not return a model list: {e}"))?;
    let data = body
        .get("data")
        .or_else(|| body.get("models"))
        .and_then(Value::as_array)
        .ok_or_else(|| format!("GET {shown} returned no 'data' array"))?;
    Ok(data
        .iter()
        .filter_map(|m| {
            let id = m.get("id").or_else(|| m.get("name"))?.as_str()?.to_owned();
            Some(ModelInfo {
                id,
                created: m.get("created").and_then(Value::as_i64).unwrap_or(0),
                owned_by: m
                    .get("owned_by")
                    .and_then(Value::as_str)
                    .unwrap_or(&cfg.id)
                    .to_owned(),
            })
        })
        .collect())
}
