//! Where requests go and how they are signed, per provider kind: the URL of each endpoint (OpenAI's
//! `{base}/chat/completions`, Ollama's `{root}/v1/…`, Azure's deployment URLs with `api-version`), the
//! model-list URL used for discovery and health, the key in the header the upstream expects, and the
//! pooled HTTP client with its proxy and extra root certificates.

use std::borrow::Cow;

use http::{header, HeaderMap, HeaderValue};

use crate::config::{AuthStyle, ProviderConfig, ProviderKind};
use crate::error::{GatewayError, UpstreamError};
use crate::providers::Endpoint;

/// How a provider's URLs are laid out.
pub enum Layout {
    /// Fixed URLs per endpoint (OpenAI-compatible servers, Ollama's `/v1`, Azure's `/openai/v1`),
    /// parsed once, indexed by `Endpoint::index`.
    Fixed(Vec<reqwest::Url>),
    /// Azure's classic data plane: `{root}/openai/deployments/{deployment}/{path}?api-version=…`,
    /// where the deployment is the request's model.
    AzureDeployments { root: String, api_version: String },
}

impl Layout {
    pub fn new(cfg: &ProviderConfig) -> Result<Layout, GatewayError> {
        let api_root = match cfg.kind {
            ProviderKind::Azure if !is_azure_v1(&cfg.base_url) => {
                return Ok(Layout::AzureDeployments {
                    root: cfg.base_url.clone(),
                    api_version: cfg.api_version.clone(),
                })
            }
            ProviderKind::Ollama => format!("{}/v1", cfg.base_url),
            _ => cfg.base_url.clone(),
        };
        let urls = Endpoint::ALL
            .iter()
            .map(|e| parse(&format!("{api_root}/{}", e.upstream_path()), &cfg.id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Layout::Fixed(urls))
    }

    /// Whether this layout has a URL for the endpoint.
    pub fn serves(&self, endpoint: Endpoint) -> bool {
        match self {
            Layout::Fixed(_) => true,
            Layout::AzureDeployments { .. } => matches!(
                endpoint,
                Endpoint::ChatCompletions | Endpoint::Completions | Endpoint::Embeddings
            ),
        }
    }

    /// The URL for one request; `model` is the upstream model (Azure: the deployment name).
    pub fn url(
        &self,
        endpoint: Endpoint,
        model: &str,
        provider: &str,
    ) -> Result<Cow<'_, reqwest::Url>, GatewayError> {
        match self {
            Layout::Fixed(urls) => urls
                .get(endpoint.index())
                .map(Cow::Borrowed)
                .ok_or_else(|| GatewayError::Internal("no URL for the endpoint".into())),
            Layout::AzureDeployments { root, api_version } => {
                let mut url = parse(&format!("{root}/openai/deployments"), provider)?;
                url.path_segments_mut()
                    .map_err(|()| {
                        GatewayError::Internal("azure base_url cannot have a path".into())
                    })?
                    .push(model)
                    .extend(endpoint.upstream_path().split('/'));
                url.query_pairs_mut()
                    .append_pair("api-version", api_version);
                Ok(Cow::Owned(url))
            }
        }
    }
}

/// `https://r.openai.azure.com/openai/v1`: the plain OpenAI shape, no `api-version`.
pub fn is_azure_v1(base_url: &str) -> bool {
    base_url.ends_with("/openai/v1")
}

/// The URL that lists the upstream's models: `{base}/models`; Ollama's native `{root}/api/tags`;
/// Azure classic's `{root}/openai/models?api-version=…` (not deployment-scoped).
pub fn models_url(cfg: &ProviderConfig) -> String {
    match cfg.kind {
        ProviderKind::Ollama => format!("{}/api/tags", cfg.base_url),
        ProviderKind::Azure if !is_azure_v1(&cfg.base_url) => format!(
            "{}/openai/models?api-version={}",
            cfg.base_url, cfg.api_version
        ),
        _ => format!("{}/models", cfg.base_url),
    }
}

fn parse(url: &str, provider: &str) -> Result<reqwest::Url, GatewayError> {
    reqwest::Url::parse(url)
        .map_err(|e| GatewayError::Internal(format!("provider '{provider}': bad base_url: {e}")))
}

/// A URL fit for messages and `/health`: any `user:password@` is removed.
/// [`display_url`] for a parsed URL: no second parse on the request path when there are no credentials.
pub fn display_of(url: &reqwest::Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        url.as_str().to_owned()
    } else {
        display_url(url.as_str())
    }
}

pub fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_owned()
        }
        _ => url.to_owned(),
    }
}

/// The key a client sent with its request: `Authorization: Bearer …`, `x-api-key` or `api-key`.
pub fn client_key(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        });
    bearer
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .or_else(|| headers.get("api-key").and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// The key to send upstream for one request: the client's own with pass-through, else the
/// provider's. With pass-through, no client key and no configured key, the request is refused (401).
pub fn request_key<'a>(
    cfg: &'a ProviderConfig,
    client_headers: &'a HeaderMap,
) -> Result<Option<&'a str>, GatewayError> {
    if cfg.passthrough {
        if let Some(key) = client_key(client_headers) {
            return Ok(Some(key));
        }
        return match &cfg.api_key {
            Some(key) => Ok(Some(key.expose())),
            None => Err(GatewayError::Unauthorized(format!(
                "provider '{}' uses the caller's own API key and this request sent none; send it as Authorization: Bearer <key> (or give the provider an api_key to fall back on)",
                cfg.id
            ))),
        };
    }
    Ok(cfg.api_key.as_ref().map(|k| k.expose()))
}

/// Adds the key in the provider's auth style (marked sensitive, so it is never printed by the HTTP
/// stack) and the configured extra headers.
pub fn sign(
    cfg: &ProviderConfig,
    mut request: reqwest::RequestBuilder,
    key: Option<&str>,
) -> reqwest::RequestBuilder {
    if let Some(key) = key {
        let (name, value) = match cfg.auth {
            AuthStyle::Bearer => (header::AUTHORIZATION.as_str(), format!("Bearer {key}")),
            AuthStyle::ApiKey => ("api-key", key.to_owned()),
            AuthStyle::XApiKey => ("x-api-key", key.to_owned()),
        };
        // A key with bytes a header cannot carry is not sent; the upstream then answers 401.
        if let Ok(mut value) = HeaderValue::from_str(&value) {
            value.set_sensitive(true);
            request = request.header(name, value);
        }
    }
    for (name, value) in &cfg.headers {
        if let Ok(mut value) = HeaderValue::from_str(value.expose()) {
            value.set_sensitive(true);
            request = request.header(name.as_str(), value);
        }
    }
    request
}

/// The pooled client for one provider: keep-alive, TCP_NODELAY, an idle-read timeout rather than a
/// total one (long streams are fine while they produce), extra root certificates, and proxies.
///
/// Proxies: an upstream on this machine is always reached directly (a proxy could not reach the
/// user's loopback anyway); otherwise `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` minus `NO_PROXY`, as
/// read into the config's `Env`; with none set, the operating system's settings.
pub fn build_client(cfg: &ProviderConfig) -> Result<reqwest::Client, GatewayError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(cfg.connect_timeout)
        .read_timeout(cfg.timeout)
        .tcp_nodelay(true)
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")));
    if !cfg.ca_certs.is_empty() {
        builder = builder.tls_certs_merge(cfg.ca_certs.iter().cloned());
    }
    let local = reqwest::Url::parse(&cfg.base_url)
        .ok()
        .and_then(|u| u.host_str().map(is_local_host))
        .unwrap_or(false);
    let proxy = &cfg.proxy;
    if local || (!proxy.is_set() && !proxy.system) {
        builder = builder.no_proxy();
    } else if proxy.is_set() {
        let no_proxy = proxy
            .no_proxy
            .as_deref()
            .and_then(reqwest::NoProxy::from_string);
        builder = builder.no_proxy();
        let make = |url: &Option<crate::config::Secret>, scheme: &str, var: &str| {
            let Some(url) = url else {
                return Ok(None);
            };
            let proxy = match scheme {
                "https" => reqwest::Proxy::https(url.expose()),
                "http" => reqwest::Proxy::http(url.expose()),
                _ => reqwest::Proxy::all(url.expose()),
            };
            proxy
                .map(|p| Some(p.no_proxy(no_proxy.clone())))
                .map_err(|_| {
                    GatewayError::Internal(format!(
                        "provider '{}': the proxy URL in {var} is not valid",
                        cfg.id
                    ))
                })
        };
        for proxy in [
            make(&proxy.https, "https", "HTTPS_PROXY")?,
            make(&proxy.http, "http", "HTTP_PROXY")?,
            make(&proxy.all, "all", "ALL_PROXY")?,
        ]
        .into_iter()
        .flatten()
        {
            builder = builder.proxy(proxy);
        }
    }
    builder.build().map_err(|e| {
        GatewayError::Internal(format!(
            "provider '{}': cannot build the HTTP client: {}",
            cfg.id,
            super::describe_reqwest(&e)
        ))
    })
}

fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A failed upstream exchange as the gateway reports it: a timeout (504), a refused connection (502,
/// naming the URL) or a broken one (502). Shared by every upstream kind.
pub fn classify(cfg: &ProviderConfig, e: &reqwest::Error, url: &str) -> GatewayError {
    let provider = cfg.id.clone();
    if e.is_timeout() {
        let limit = if e.is_connect() {
            cfg.connect_timeout
        } else {
            cfg.timeout
        };
        return UpstreamError::Timeout {
            provider,
            secs: limit.as_secs_f64(),
        }
        .into();
    }
    if e.is_connect() {
        return UpstreamError::Connect {
            provider,
            url: url.to_owned(),
            reason: super::describe_reqwest(e),
        }
        .into();
    }
    UpstreamError::Protocol {
        provider,
        reason: super::describe_reqwest(e),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_keys_are_read_from_the_usual_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(client_key(&h), None);
        h.insert("api-key", HeaderValue::from_static("azure-key"));
        assert_eq!(client_key(&h), Some("azure-key"));
        h.insert("x-api-key", HeaderValue::from_static("anthropic-key"));
        assert_eq!(client_key(&h), Some("anthropic-key"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  sk-client "),
        );
        assert_eq!(client_key(&h), Some("sk-client"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(client_key(&h), Some("anthropic-key"));
    }

    #[test]
    fn credentials_in_urls_are_not_displayed() {
        assert_eq!(
            display_url("https://user:pw@proxy.example:8080/v1"),
            "https://proxy.example:8080/v1"
        );
        assert_eq!(
            display_url("http://127.0.0.1:8000/v1"),
            "http://127.0.0.1:8000/v1"
        );
    }

    #[test]
    fn loopback_names_are_local() {
        for h in ["localhost", "127.0.0.1", "[::1]", "127.1.2.3"] {
            assert!(is_local_host(h), "{h}");
        }
        assert!(!is_local_host("upstream.test"));
    }
}
