//! The Anthropic provider's model list: the configured one, or discovered with `GET {root}/v1/models`
//! (`{"data":[{"type":"model","id":…}],"has_more":…}`, up to 1000 per page), read here and kept in
//! the shared [`ModelCache`](crate::providers::model_cache::ModelCache).

use serde_json::Value;

use crate::config::ProviderConfig;
use crate::providers::model_cache::FETCH_TIMEOUT;
use crate::providers::ModelInfo;

/// The upstream's model list. `request` is the `GET` with the provider's key and version headers;
/// `shown` is its URL without credentials, for errors.
pub async fn fetch(
    cfg: &ProviderConfig,
    request: reqwest::RequestBuilder,
    shown: &str,
) -> Result<Vec<ModelInfo>, String> {
    let response = request
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| super::describe(&e))?;
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
