//! Model resolution: which providers serve a request, in which order, under which model name.
//!
//! Order (DESIGN.md): a user alias (`[[routes]]`, possibly a fallback chain), an explicit
//! `provider:model` or `provider/model` prefix, a model some provider lists (configured providers in
//! file order, the mock provider last so a real `deepseek-reasoner` wins over the mock one), then
//! `routing.default`. `routing.ignore_client_model` sends everything to the default, and
//! `FORCE_MOCK_OPENAI` everything to the mock provider. When nothing matches and a provider's discovered
//! model list is stale, the lists are refreshed once before the request is refused with 404.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::{MockModelKind, RouteConfig, RoutingConfig};
use crate::error::GatewayError;
use crate::providers::{Endpoint, ModelInfo, Provider};

pub struct Registry {
    providers: Vec<Arc<Provider>>,
    routes: Vec<RouteConfig>,
    routing: RoutingConfig,
}

/// One place a request can go.
#[derive(Clone)]
pub struct Target {
    pub provider: Arc<Provider>,
    pub model: String,
}

/// Where a request goes: targets tried in order, how often each is retried, and the request fields
/// the route fills in when the client left them out.
pub struct Plan {
    pub targets: Vec<Target>,
    pub retries: u32,
    pub backoff: Duration,
    pub max_retry_wait: Duration,
    pub params: Map<String, Value>,
}

impl Registry {
    pub fn new(
        providers: Vec<Arc<Provider>>,
        routes: Vec<RouteConfig>,
        routing: RoutingConfig,
    ) -> Self {
        Registry {
            providers,
            routes,
            routing,
        }
    }

    pub fn providers(&self) -> &[Arc<Provider>] {
        &self.providers
    }

    pub fn provider(&self, id: &str) -> Option<&Arc<Provider>> {
        self.providers.iter().find(|p| p.id() == id)
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

    /// Resolves a model name to the first target that serves it (used for `GET /v1/models/{id}`).
    pub async fn resolve(&self, model: &str) -> Result<Target, GatewayError> {
        let plan = self.plan(model, Endpoint::ChatCompletions).await?;
        plan.targets
            .into_iter()
            .next()
            .ok_or_else(|| self.not_found(model))
    }

    /// Where a request for `model` on `endpoint` goes.
    pub async fn plan(&self, model: &str, endpoint: Endpoint) -> Result<Plan, GatewayError> {
        if let Some(plan) = self.try_plan(model, endpoint) {
            return Ok(plan);
        }
        let stale: Vec<&Arc<Provider>> = self
            .providers
            .iter()
            .filter(|p| p.discovery_is_stale())
            .collect();
        if !stale.is_empty() {
            futures_util::future::join_all(stale.iter().map(|p| p.refresh_models())).await;
            if let Some(plan) = self.try_plan(model, endpoint) {
                return Ok(plan);
            }
        }
        Err(self.not_found(model))
    }

    fn single(&self, target: Target) -> Plan {
        Plan {
            targets: vec![target],
            // A lone target is not retried by default: the client's SDK retries on its own.
            retries: 0,
            backoff: self.routing.retry_backoff,
            max_retry_wait: self.routing.max_retry_wait,
            params: Map::new(),
        }
    }

    fn try_plan(&self, model: &str, endpoint: Endpoint) -> Option<Plan> {
        if self.routing.force_mock {
            return self.mock_target(model, endpoint).map(|t| self.single(t));
        }
        if self.routing.ignore_client_model {
            let default = self.routing.default.as_deref()?;
            return self
                .route_plan(default)
                .or_else(|| self.resolve_direct(default).map(|t| self.single(t)));
        }
        if let Some(plan) = self.route_plan(model) {
            return Some(plan);
        }
        if let Some(t) = self.resolve_direct(model) {
            return Some(self.single(t));
        }
        let default = self.routing.default.as_deref()?;
        self.route_plan(default)
            .or_else(|| self.resolve_direct(default).map(|t| self.single(t)))
    }

    /// An alias: its targets that resolve, in order.
    fn route_plan(&self, model: &str) -> Option<Plan> {
        let route = self.routes.iter().find(|r| r.model == model)?;
        let targets: Vec<Target> = route
            .targets
            .iter()
            .filter_map(|t| self.resolve_direct(t))
            .collect();
        if targets.is_empty() {
            return None;
        }
        Some(Plan {
            targets,
            retries: route.retries.unwrap_or(self.routing.retries),
            backoff: self.routing.retry_backoff,
            max_retry_wait: self.routing.max_retry_wait,
            params: route.params.clone(),
        })
    }

    fn resolve_direct(&self, model: &str) -> Option<Target> {
        if let Some(at) = model.find([':', '/']) {
            let (prefix, rest) = (&model[..at], &model[at + 1..]);
            if !rest.is_empty() {
                if let Some(p) = self.provider(prefix) {
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

    /// `FORCE_MOCK_OPENAI`: the mock model of that name, else the mock's preset for the endpoint.
    fn mock_target(&self, model: &str, endpoint: Endpoint) -> Option<Target> {
        let mock = self.provider("mock")?;
        let model = model.strip_prefix("mock:").unwrap_or(model);
        if mock.serves(model) {
            return Some(Target {
                provider: mock.clone(),
                model: model.to_owned(),
            });
        }
        let kind = match endpoint {
            Endpoint::Completions => MockModelKind::Completion,
            Endpoint::Embeddings => MockModelKind::Embedding,
            Endpoint::Rerank => MockModelKind::Rerank,
            _ => MockModelKind::Chat,
        };
        let fallback = match &**mock {
            Provider::Mock(m) => m.first_of_kind(kind),
            _ => None,
        }?;
        Some(Target {
            provider: mock.clone(),
            model: fallback,
        })
    }

    pub fn not_found(&self, model: &str) -> GatewayError {
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
