//! The Anthropic provider's model list: the configured one, or discovered with `GET {root}/v1/models`
//! (`{"data":[{"type":"model","id":…}],"has_more":…,"last_id":…}`, up to 1000 per page, all pages),
//! read here and kept in the shared [`ModelCache`](crate::providers::model_cache::ModelCache).

use serde_json::Value;

use crate::config::ProviderConfig;
use crate::providers::model_cache::FETCH_TIMEOUT;
use crate::providers::ModelInfo;

/// Pages read at most (1000 models each): a bound in case an upstream keeps saying `has_more`.
const MAX_PAGES: usize = 20;

/// The upstream's model list, page by page (`after_id` = the last id of the page before, while the
/// answer says `has_more`). `page` builds the `GET` for a page with the provider's key and version
/// headers; `shown` is its URL without credentials, for errors.
pub async fn fetch(
    cfg: &ProviderConfig,
    page: impl Fn(Option<&str>) -> reqwest::RequestBuilder,
    shown: &str,
) -> Result<Vec<ModelInfo>, String> {
    let mut models = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let body = fetch_page(page(after.as_deref()), shown).await?;
        let data = body["data"]
            .as_array()
            .ok_or_else(|| format!("GET {shown} returned no 'data' array"))?;
        models.extend(data.iter().filter_map(|m| {
            Some(ModelInfo {
                id: m["id"].as_str()?.to_owned(),
                created: 0,
                owned_by: cfg.id.clone(),
            })
        }));
        let next = body["last_id"]
            .as_str()
            .or_else(|| data.last().and_then(|m| m["id"].as_str()));
        match next {
            Some(last) if body["has_more"] == true && after.as_deref() != Some(last) => {
                after = Some(last.to_owned());
            }
            _ => break,
        }
    }
    Ok(models)
}

async fn fetch_page(request: reqwest::RequestBuilder, shown: &str) -> Result<Value, String> {
    let response = request
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| super::describe(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {shown} answered {status}"));
    }
    response.json().await.map_err(|e| {
        format!(
            "GET {shown} did not return a model list: {}",
            super::describe(&e)
        )
    })
}
