//! The Anthropic provider's model list: the configured one, or discovered with `GET {root}/v1/models`
//! (`{"data":[{"type":"model","id":…}],"has_more":…}`, up to 1000 per page), cached and refreshed
//! when stale; its health summary comes with it.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::ProviderConfig;
use crate::providers::ModelInfo;

/// Discovered lists older than this are refreshed when a request names an unknown model.
const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(30);
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Discovery {
    models: Vec<ModelInfo>,
    refreshed_at: Option<Instant>,
    last_error: Option<String>,
}

pub struct Models {
    state: RwLock<Discovery>,
    refresh: tokio::sync::Mutex<()>,
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

    pub fn contains(&self, model: &str) -> bool {
        self.state
            .read()
            .map(|d| d.models.iter().any(|m| m.id == model))
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

    /// Asks the upstream for its models; concurrent callers share one request. `signed` is the
    /// request with the provider's key and version headers.
    pub async fn refresh(
        &self,
        cfg: &ProviderConfig,
        signed: reqwest::RequestBuilder,
        shown: &str,
    ) {
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
        let result = fetch(cfg, signed.timeout(DISCOVERY_TIMEOUT), shown).await;
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

async fn fetch(
    cfg: &ProviderConfig,
    request: reqwest::RequestBuilder,
    shown: &str,
) -> Result<Vec<ModelInfo>, String> {
    let response = request.send().await.map_err(|e| super::describe(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {shown} answered {status}"));
    }
    let body: Value = response.json().await.map_err(|e| {
        format!(
            "GET {shown} did not return a model list: {}",
            super::describe(&e)
        )
    })?;
    let data = body["data"]
        .as_array()
        .ok_or_else(|| format!("GET {shown} returned no 'data' array"))?;
    Ok(data
        .iter()
        .filter_map(|m| {
            Some(ModelInfo {
                id: m["id"].as_str()?.to_owned(),
                created: 0,
                owned_by: cfg.id.clone(),
            })
        })
        .collect())
}
