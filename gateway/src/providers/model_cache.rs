//! A provider's model list, cached: the configured list, or one discovered from the upstream and
//! refreshed when stale, with the health summary that comes with it.
//!
//! The cache knows nothing about URLs or response shapes: each provider hands [`ModelCache::refresh`]
//! and [`ModelCache::probe`] the future that fetches its list (`openai/discovery.rs`,
//! `anthropic/models.rs`). The future is only awaited when a fetch is due, so building it is free.
//! Concurrent refreshes share one request: a caller that waited for another's refresh, started after it
//! began waiting, takes that result instead of asking again.

use std::future::Future;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::config::ProviderConfig;
use crate::providers::ModelInfo;

/// Discovered lists older than this are refreshed when a request names an unknown model.
const MAX_AGE: Duration = Duration::from_secs(30);
/// Upper bound for one model list request.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct State {
    models: Vec<ModelInfo>,
    refreshed_at: Option<Instant>,
    last_error: Option<String>,
}

pub struct ModelCache {
    state: RwLock<State>,
    refresh: tokio::sync::Mutex<()>,
    /// No static list: the upstream is asked.
    discovers: bool,
    /// The provider's id, for log lines.
    provider: String,
}

impl ModelCache {
    /// The configured models, or an empty list to be discovered when the config names none.
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
        ModelCache {
            state: RwLock::new(State {
                models,
                ..State::default()
            }),
            refresh: tokio::sync::Mutex::new(()),
            discovers: cfg.models.is_empty(),
            provider: cfg.id.clone(),
        }
    }

    pub fn list(&self) -> Vec<ModelInfo> {
        self.state
            .read()
            .map(|d| d.models.clone())
            .unwrap_or_default()
    }

    /// Whether `model` is listed under exactly that id.
    pub fn contains(&self, model: &str) -> bool {
        self.any(|m| m.id == model)
    }

    /// Whether any listed model satisfies `matches` (for providers with their own name rules).
    pub fn any(&self, matches: impl FnMut(&ModelInfo) -> bool) -> bool {
        self.state
            .read()
            .map(|d| d.models.iter().any(matches))
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
                .map(|d| d.refreshed_at.is_none_or(|t| t.elapsed() > MAX_AGE))
                .unwrap_or(true)
    }

    /// Replaces the list with what `fetch` returns, or notes its error; concurrent callers share one
    /// request. A no-op for a configured list.
    pub async fn refresh(&self, fetch: impl Future<Output = Result<Vec<ModelInfo>, String>>) {
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
        let result = fetch.await;
        if let Ok(mut d) = self.state.write() {
            d.refreshed_at = Some(Instant::now());
            match result {
                Ok(models) => {
                    d.models = models;
                    d.last_error = None;
                }
                Err(e) => {
                    tracing::warn!(provider = %self.provider, "model discovery failed: {e}");
                    d.last_error = Some(e);
                }
            }
        }
    }

    /// Whether the upstream answers its model list: a discovering cache refreshes (and keeps what it
    /// learns), a static one just asks.
    pub async fn probe(
        &self,
        fetch: impl Future<Output = Result<Vec<ModelInfo>, String>>,
    ) -> Result<(), String> {
        if !self.discovers {
            return fetch.await.map(|_| ());
        }
        self.refresh(fetch).await;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::config::{Config, Env};

    fn cache(models: &str) -> ModelCache {
        let text = format!(
            "[[providers]]\nid = \"up\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n{models}"
        );
        let config =
            Config::from_toml_str(&text, &Env::default()).unwrap_or_else(|e| panic!("{e}"));
        ModelCache::new(&config.providers[0])
    }

    fn model(id: &str) -> ModelInfo {
        ModelInfo {
            id: id.into(),
            created: 0,
            owned_by: "up".into(),
        }
    }

    #[tokio::test]
    async fn concurrent_refreshes_share_one_fetch() {
        let cache = cache("");
        assert!(cache.never_discovered() && cache.is_stale());
        assert_eq!(cache.health().0, "unknown");
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(vec![model("a")])
        };
        tokio::join!(cache.refresh(fetch()), cache.refresh(fetch()));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert!(cache.contains("a") && !cache.never_discovered() && !cache.is_stale());
        assert_eq!(cache.health(), ("up", 1, None));
    }

    #[tokio::test]
    async fn a_failed_fetch_keeps_the_list_and_reports_down() {
        let cache = cache("");
        cache.refresh(async { Ok(vec![model("a")]) }).await;
        let refused = cache.probe(async { Err("GET x answered 500".to_owned()) });
        assert_eq!(refused.await, Err("GET x answered 500".to_owned()));
        assert_eq!(cache.list(), vec![model("a")]);
        assert_eq!(
            cache.health(),
            ("down", 1, Some("GET x answered 500".into()))
        );
    }

    #[tokio::test]
    async fn a_configured_list_is_never_replaced() {
        let cache = cache("models = [\"m\"]\n");
        cache.refresh(async { Ok(vec![model("other")]) }).await;
        assert_eq!(cache.list(), vec![model("m")]);
        assert!(!cache.never_discovered() && !cache.is_stale());
        assert_eq!(cache.health(), ("configured", 1, None));
        // A probe still asks, and keeps nothing.
        assert!(cache.probe(async { Err("down".into()) }).await.is_err());
        assert_eq!(cache.health(), ("configured", 1, None));
    }
}
