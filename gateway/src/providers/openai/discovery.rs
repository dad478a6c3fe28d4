//! Model discovery: how the upstream's model list is asked for and read (the cache, staleness and
//! health summary are [`ModelCache`]'s). OpenAI-compatible servers answer `GET {base}/models`
//! (`{"data":[{"id":…}]}`); Ollama is asked natively, `GET {root}/api/tags` (`{"models":[{"name":…}]}`),
//! which also tells whether the server runs at all.

use serde_json::Value;

use super::describe_reqwest;
use super::upstream::{self, display_url};
use crate::config::ProviderConfig;
use crate::providers::model_cache::{ModelCache, FETCH_TIMEOUT};
use crate::providers::ModelInfo;

/// Whether `model` is listed; with `latest_alias`, `llama3` also matches `llama3:latest` (Ollama
/// resolves a bare name to its `latest` tag).
pub fn contains(models: &ModelCache, model: &str, latest_alias: bool) -> bool {
    models.any(|m| {
        m.id == model
            || (latest_alias && !model.contains(':') && m.id.strip_suffix(":latest") == Some(model))
    })
}

/// The upstream's model list, asked with the provider's own key.
pub async fn fetch(
    cfg: &ProviderConfig,
    client: &reqwest::Client,
) -> Result<Vec<ModelInfo>, String> {
    let url = upstream::models_url(cfg);
    let shown = display_url(&url);
    // Discovery uses the provider's own key; a pass-through provider without one asks unsigned.
    let key = cfg.api_key.as_ref().map(|k| k.expose());
    let request = upstream::sign(cfg, client.get(&url), key).timeout(FETCH_TIMEOUT);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Env};

    #[test]
    fn a_bare_ollama_name_matches_its_latest_tag_only_with_the_alias() {
        let text = "[[providers]]\nid = \"o\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodels = [\"llama3:latest\", \"qwen:7b\"]\n";
        let config = Config::from_toml_str(text, &Env::default()).unwrap_or_else(|e| panic!("{e}"));
        let models = ModelCache::new(&config.providers[0]);
        assert!(contains(&models, "llama3", true));
        assert!(!contains(&models, "llama3", false));
        assert!(contains(&models, "llama3:latest", false));
        assert!(!contains(&models, "qwen", true));
        assert!(!contains(&models, "llama3:8b", true));
    }
}
