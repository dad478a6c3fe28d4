//! Model resolution: which provider serves a request, and under which model name.
//!
//! Order (DESIGN.md): a user alias (`[[routes]]`), an explicit `provider:model` or `provider/model`
//! prefix, a model some provider lists (configured providers in file order, the mock provider last so a
//! real `deepseek-reasoner` wins over the mock one). When nothing matches and a provider's discovered
//! model list is stale, the lists are refreshed once before the request is refused with 404.

use std::sync::Arc;

use crate::config::RouteConfig;
use crate::error::GatewayError;
use crate::providers::{ModelInfo, Provider};

pub struct Registry {
    providers: Vec<Arc<Provider>>,
    routes: Vec<RouteConfig>,
}

/// Where a request goes.
pub struct Target {
    pub provider: Arc<Provider>,
    pub model: String,
}

impl Registry {
    pub fn new(providers: Vec<Arc<Provider>>, routes: Vec<RouteConfig>) -> Self {
        Registry { providers, routes }
    }

    pub fn providers(&self) -> &[Arc<Provider>] {
        &self.providers
    }

    /// Brings model lists up to date for a listing: waits for providers that never finished a first
    /// discovery, and refreshes stale ones in the background so the listing stays fast.
    pub async fn refresh_for_listing(&self) {
        let mut first = Vec::new();
        for p in &self.providers {
            if p.never_discovered() {
                first.push(p.clone());
            } else if p.discovery_is_stale() {
                let p = p.clone();
                tokio::spawn(async move { p.refresh_models().await });
            }
        }
        futures_util::future::join_all(first.iter().map(|p| p.refresh_models())).await;
    }

    /// Every routable model once: each provider's models, then the aliases.
    pub fn models(&self) -> Vec<ModelInfo> {
        let mut out: Vec<ModelInfo> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for p in &self.providers {
            for m in p.models() {
                if seen.insert(m.id.clone()) {
                    out.push(m);
                }
            }
        }
        for r in &self.routes {
            if seen.insert(r.model.clone()) {
                out.push(ModelInfo {
                    id: r.model.clone(),
                    created: 0,
                    owned_by: "switchboard-alias".into(),
                });
            }
        }
        out
    }

    pub async fn resolve(&self, model: &str) -> Result<Target, GatewayError> {
        if let Some(t) = self.try_resolve(model) {
            return Ok(t);
        }
        let stale: Vec<&Arc<Provider>> = self
            .providers
            .iter()
            .filter(|p| p.discovery_is_stale())
            .collect();
        if !stale.is_empty() {
            futures_util::future::join_all(stale.iter().map(|p| p.refresh_models())).await;
            if let Some(t) = self.try_resolve(model) {
                return Ok(t);
            }
        }
        Err(self.not_found(model))
    }

    fn try_resolve(&self, model: &str) -> Option<Target> {
        if let Some(route) = self.routes.iter().find(|r| r.model == model) {
            // Fallback chains are tried in order once fallback lands; for now the first target that
            // resolves serves the request.
            return route.targets.iter().find_map(|t| self.resolve_direct(t));
        }
        self.resolve_direct(model)
    }

    fn resolve_direct(&self, model: &str) -> Option<Target> {
        if let Some(at) = model.find([':', '/']) {
            let (prefix, rest) = (&model[..at], &model[at + 1..]);
            if !rest.is_empty() {
                if let Some(p) = self.providers.iter().find(|p| p.id() == prefix) {
                    return Some(Target {
                        provider: p.clone(),
                        model: rest.to_owned(),
                    });
                }
            }
        }
        self.providers
            .iter()
            .find(|p| p.serves(model))
            .map(|p| Target {
                provider: p.clone(),
                model: model.to_owned(),
            })
    }

    fn not_found(&self, model: &str) -> GatewayError {
        let ids: Vec<String> = self.models().into_iter().map(|m| m.id).collect();
        let message = if ids.is_empty() {
            format!("no provider serves model '{model}', and no models are available; check that your providers are running (GET /health)")
        } else {
            let shown: Vec<&str> = ids.iter().take(12).map(String::as_str).collect();
            let more = if ids.len() > shown.len() {
                format!(" and {} more", ids.len() - shown.len())
            } else {
                String::new()
            };
            format!(
                "no provider serves model '{model}'; available models: {}{more} (GET /v1/models lists them)",
                shown.join(", ")
            )
        };
        GatewayError::ModelNotFound { message }
    }
}
