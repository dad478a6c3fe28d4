//! The Anthropic provider (kind `anthropic`): chat completions translated to the Messages API and back;
//! `/v1/messages` bodies forwarded as they are.
//!
//! Not built yet: every call answers 501 with a message saying so.

use serde_json::{json, Value};

use super::{Call, ModelInfo, Reply};
use crate::config::ProviderConfig;
use crate::error::GatewayError;

pub struct AnthropicProvider {
    cfg: ProviderConfig,
}

impl AnthropicProvider {
    pub fn new(cfg: ProviderConfig) -> Result<Self, GatewayError> {
        Ok(AnthropicProvider { cfg })
    }

    pub fn id(&self) -> &str {
        &self.cfg.id
    }

    pub fn models(&self) -> Vec<ModelInfo> {
        self.cfg
            .models
            .iter()
            .map(|id| ModelInfo {
                id: id.clone(),
                created: 0,
                owned_by: self.cfg.id.clone(),
            })
            .collect()
    }

    pub fn serves(&self, model: &str) -> bool {
        self.cfg.models.iter().any(|m| m == model)
    }

    pub fn never_discovered(&self) -> bool {
        false
    }

    pub fn discovery_is_stale(&self) -> bool {
        false
    }

    pub async fn refresh_models(&self) {}

    pub fn health(&self) -> Value {
        json!({ "id": self.cfg.id, "kind": "anthropic", "base_url": self.cfg.base_url, "status": "configured" })
    }

    pub async fn call(&self, _call: Call) -> Result<Reply, GatewayError> {
        Err(GatewayError::Internal(format!(
            "provider '{}': the anthropic provider kind is not built yet",
            self.cfg.id
        )))
    }
}
