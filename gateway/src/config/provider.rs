//! The provider part of the configuration: `[[providers]]` as written (preset, kind, credentials,
//! quirks) and as validated, and the provider seeded from the `OPENAI_*` variables.
//!
//! A preset (`providers::presets`) fills in what the entry leaves out; fields the file sets win.
//! Credentials resolve here, in phase two, so a missing variable or keychain entry is a config error
//! that names the provider, never a failure at the first request.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{secs, ConfigError, Env, Secret};
use crate::providers::presets::{self, Preset};
use crate::secrets::SecretStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Any OpenAI-compatible endpoint.
    Openai,
    /// Azure OpenAI: deployment URLs with `api-version`, or the `/openai/v1` form.
    Azure,
    /// Ollama: its OpenAI-compatible `/v1`, with discovery and health from the native `/api/tags`.
    Ollama,
    /// Anthropic's Messages API.
    Anthropic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Azure => "azure",
            ProviderKind::Ollama => "ollama",
            ProviderKind::Anthropic => "anthropic",
        }
    }
}

/// How the key travels upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>` (OpenAI and nearly every compatible server; Azure Entra tokens).
    #[serde(rename = "bearer")]
    Bearer,
    /// `api-key: <key>` (Azure OpenAI keys).
    #[serde(rename = "api-key")]
    ApiKey,
    /// `x-api-key: <key>` (Anthropic).
    #[serde(rename = "x-api-key")]
    XApiKey,
}

/// Which token-limit field the upstream wants; the other is renamed to it when a request has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenLimitField {
    /// Forward whatever the client sent.
    AsSent,
    /// `max_completion_tokens` → `max_tokens`, for servers that do not know the new name.
    MaxTokens,
    /// `max_tokens` → `max_completion_tokens`.
    MaxCompletionTokens,
    /// OpenAI's rule: `max_completion_tokens` for the o-series and gpt-5 families (which refuse
    /// `max_tokens`), as sent for every other model.
    #[serde(rename = "openai")]
    OpenaiModels,
}

/// The field an upstream puts chain of thought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningField {
    /// DeepSeek's `reasoning_content`: passed through as it is.
    ReasoningContent,
    /// `reasoning` (vLLM, Ollama, OpenRouter): `reasoning_content` is added beside it, so clients
    /// written for DeepSeek see the reasoning too.
    Reasoning,
}

/// What an upstream does differently from OpenAI. The default changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    pub token_limit: TokenLimitField,
    /// Whether the upstream accepts `stream_options`. When it does not, the field is removed and a
    /// usage chunk is made by the gateway for clients that asked for `include_usage`.
    pub stream_options: bool,
    pub reasoning_field: ReasoningField,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            token_limit: TokenLimitField::AsSent,
            stream_options: true,
            reasoning_field: ReasoningField::ReasoningContent,
        }
    }
}

/// Where a provider's key comes from, for display (the value itself is never shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    None,
    Literal,
    Env(String),
    Keychain(String),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::None => f.write_str("none"),
            KeySource::Literal => f.write_str("in the config file"),
            KeySource::Env(name) => write!(f, "environment variable {name}"),
            KeySource::Keychain(label) => write!(f, "keychain entry '{label}'"),
        }
    }
}

/// Upstream proxy settings from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
/// `NO_PROXY`, in either case). Upstreams on this machine are always reached directly.
#[derive(Debug, Clone, Default)]
pub struct ProxyEnv {
    pub http: Option<Secret>,
    pub https: Option<Secret>,
    pub all: Option<Secret>,
    pub no_proxy: Option<String>,
    /// With no variable set, let the HTTP client use the operating system's proxy settings (macOS,
    /// Windows). Off in tests, so a developer's own proxy never bends a test's traffic.
    pub system: bool,
}

impl ProxyEnv {
    pub fn is_set(&self) -> bool {
        self.http.is_some() || self.https.is_some() || self.all.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub id: String,
    pub kind: ProviderKind,
    /// Without a trailing slash. `openai`: the API root (`http://127.0.0.1:8000/v1`); `ollama`: the
    /// server root (`http://127.0.0.1:11434`); `azure`: the resource (`https://r.openai.azure.com`) or
    /// its `/openai/v1` URL.
    pub base_url: String,
    /// The provider's own key (with pass-through: the key used when the client sends none).
    pub api_key: Option<Secret>,
    pub key_source: KeySource,
    /// Send the client's own key upstream (`Authorization: Bearer`, `x-api-key` or `api-key`).
    pub passthrough: bool,
    pub auth: AuthStyle,
    pub models: Vec<String>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub headers: Vec<(String, Secret)>,
    /// Whether the upstream serves OpenAI's Responses API itself (otherwise it is translated).
    pub responses_api: bool,
    /// The preset this provider started from.
    pub preset: Option<&'static str>,
    /// Azure's `api-version` for deployment URLs.
    pub api_version: String,
    pub quirks: Quirks,
    /// Extra root certificates trusted for this upstream (`ca_file`, or `server.ca_file`).
    pub ca_certs: Vec<reqwest::Certificate>,
    pub proxy: ProxyEnv,
}

/// Azure's `api-version` when the file sets none: the newest GA data-plane version at the time of
/// writing.
pub const AZURE_API_VERSION: &str = "2024-10-21";

// ---------------------------------------------------------------------------------------------------
// Phase one.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProvider {
    id: String,
    preset: Option<String>,
    kind: Option<ProviderKind>,
    base_url: Option<String>,
    api_key: Option<RawSecret>,
    auth: Option<AuthStyle>,
    #[serde(default)]
    models: Vec<String>,
    timeout_secs: Option<f64>,
    connect_timeout_secs: Option<f64>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    responses_api: Option<bool>,
    api_version: Option<String>,
    quirks: Option<RawQuirks>,
    ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuirks {
    token_limit: Option<TokenLimitField>,
    stream_options: Option<bool>,
    reasoning_field: Option<ReasoningField>,
}

/// `api_key = "sk-…"`, `{ env = "NAME" }`, `{ keychain = "label" }`, `{ passthrough = true }` (with an
/// optional `env` or `keychain` fallback for clients that send no key).
#[derive(Debug, Deserialize)]
#[serde(try_from = "toml::Value")]
enum RawSecret {
    Literal(String),
    Source {
        env: Option<String>,
        keychain: Option<String>,
        passthrough: bool,
    },
}

const SECRET_FORMS: &str =
    "use a string, { env = \"NAME\" }, { keychain = \"label\" } or { passthrough = true }";

impl TryFrom<toml::Value> for RawSecret {
    type Error = String;

    fn try_from(v: toml::Value) -> Result<Self, String> {
        let table = match v {
            toml::Value::String(s) => return Ok(RawSecret::Literal(s)),
            toml::Value::Table(t) => t,
            other => {
                return Err(format!(
                    "api_key cannot be a {}; {SECRET_FORMS}",
                    other.type_str()
                ))
            }
        };
        let (mut env, mut keychain, mut passthrough) = (None, None, false);
        for (key, value) in table {
            match (key.as_str(), value) {
                ("env", toml::Value::String(s)) => env = Some(s),
                ("keychain", toml::Value::String(s)) => keychain = Some(s),
                ("passthrough", toml::Value::Boolean(b)) => passthrough = b,
                ("env" | "keychain", _) => return Err(format!("api_key.{key} must be a string")),
                ("passthrough", _) => {
                    return Err("api_key.passthrough must be true or false".into())
                }
                _ => {
                    return Err(format!(
                        "api_key has an unknown key '{key}'; {SECRET_FORMS}"
                    ))
                }
            }
        }
        if env.is_some() && keychain.is_some() {
            return Err("api_key takes env or keychain, not both".into());
        }
        if env.is_none() && keychain.is_none() && !passthrough {
            return Err(format!("api_key names no source; {SECRET_FORMS}"));
        }
        Ok(RawSecret::Source {
            env,
            keychain,
            passthrough,
        })
    }
}

// ---------------------------------------------------------------------------------------------------
// Phase two.

/// What validating a provider needs besides its entry.
pub(super) struct ProviderContext<'a> {
    pub env: &'a Env,
    pub secrets: &'a SecretStore,
    /// `server.ca_file`: trusted by every provider without a `ca_file` of its own.
    pub ca_file: Option<&'a Path>,
}

fn invalid(message: String) -> ConfigError {
    ConfigError::Invalid(message)
}

pub(super) fn validate_provider(
    p: RawProvider,
    ctx: &ProviderContext<'_>,
) -> Result<ProviderConfig, ConfigError> {
    let id = p.id.trim().to_owned();
    if id.is_empty() || id.contains([':', '/', ' ']) {
        return Err(invalid(format!(
            "provider id '{}' must be non-empty and contain no ':', '/' or spaces",
            p.id
        )));
    }
    let preset: Option<&'static Preset> = match &p.preset {
        None => None,
        Some(name) => Some(presets::find(name).ok_or_else(|| {
            invalid(format!(
                "provider '{id}': unknown preset '{name}'; presets are {}",
                presets::names()
            ))
        })?),
    };
    let kind = p.kind.or(preset.map(|p| p.kind)).ok_or_else(|| {
        invalid(format!(
            "provider '{id}' needs kind = \"openai\" (or azure, ollama, anthropic) or a preset such as preset = \"openai\""
        ))
    })?;
    let written = p
        .base_url
        .as_deref()
        .or(preset.and_then(|p| p.base_url))
        .ok_or_else(|| {
            let example = match kind {
                ProviderKind::Azure => "https://YOUR-RESOURCE.openai.azure.com",
                _ => "http://127.0.0.1:8000/v1",
            };
            invalid(format!(
                "provider '{id}' needs a base_url such as {example}"
            ))
        })?;
    let base_url = normalize_base_url(kind, written).ok_or_else(|| {
        invalid(format!(
            "provider '{id}': base_url '{written}' must be an http(s) URL such as http://127.0.0.1:8000/v1"
        ))
    })?;

    let (api_key, key_source, passthrough) = resolve_key(&id, p.api_key, preset, ctx)?;
    let auth = p.auth.or(preset.map(|p| p.auth)).unwrap_or(match kind {
        ProviderKind::Azure => AuthStyle::ApiKey,
        ProviderKind::Anthropic => AuthStyle::XApiKey,
        ProviderKind::Openai | ProviderKind::Ollama => AuthStyle::Bearer,
    });
    if p.api_version.is_some() && kind != ProviderKind::Azure {
        return Err(invalid(format!(
            "provider '{id}': api_version applies to kind = \"azure\" only"
        )));
    }
    let mut quirks = preset.map(|p| p.quirks).unwrap_or_default();
    if let Some(q) = p.quirks {
        quirks.token_limit = q.token_limit.unwrap_or(quirks.token_limit);
        quirks.stream_options = q.stream_options.unwrap_or(quirks.stream_options);
        quirks.reasoning_field = q.reasoning_field.unwrap_or(quirks.reasoning_field);
    }
    let ca_certs = match p.ca_file.as_deref().or(ctx.ca_file) {
        Some(path) => read_ca_file(&id, path)?,
        None => Vec::new(),
    };
    Ok(ProviderConfig {
        timeout: secs(p.timeout_secs.unwrap_or(600.0), "timeout_secs")?,
        connect_timeout: secs(
            p.connect_timeout_secs.unwrap_or(10.0),
            "connect_timeout_secs",
        )?,
        headers: p
            .headers
            .into_iter()
            .map(|(k, v)| (k, Secret::new(v)))
            .collect(),
        models: p.models,
        responses_api: p
            .responses_api
            .or(preset.map(|p| p.responses_api))
            .unwrap_or(false),
        preset: preset.map(|p| p.name),
        api_version: p
            .api_version
            .unwrap_or_else(|| AZURE_API_VERSION.to_owned()),
        proxy: ctx.env.proxy.clone(),
        kind,
        base_url,
        api_key,
        key_source,
        passthrough,
        auth,
        quirks,
        ca_certs,
        id,
    })
}

/// Checks the URL and brings it to the form the provider kind works from (see
/// [`ProviderConfig::base_url`]): Ollama's `/v1` suffix and Azure's `/openai` suffix are dropped.
fn normalize_base_url(kind: ProviderKind, written: &str) -> Option<String> {
    let mut url = written.trim().trim_end_matches('/').to_owned();
    match reqwest::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => return None,
    }
    match kind {
        ProviderKind::Ollama => {
            if let Some(root) = url.strip_suffix("/v1") {
                url = root.to_owned();
            }
        }
        ProviderKind::Azure if !url.ends_with("/openai/v1") => {
            if let Some(root) = url.strip_suffix("/openai") {
                url = root.to_owned();
            }
        }
        _ => {}
    }
    Some(url)
}

type ResolvedKey = (Option<Secret>, KeySource, bool);

fn resolve_key(
    id: &str,
    raw: Option<RawSecret>,
    preset: Option<&Preset>,
    ctx: &ProviderContext<'_>,
) -> Result<ResolvedKey, ConfigError> {
    let from_env = |name: &str| -> Result<Secret, ConfigError> {
        match ctx.env.var(name) {
            Some(v) if !v.is_empty() => Ok(Secret::new(v)),
            _ => Err(invalid(format!(
                "provider '{id}': api_key reads the environment variable {name}, which is not set"
            ))),
        }
    };
    let from_keychain = |label: &str| -> Result<Secret, ConfigError> {
        match ctx.secrets.get(label) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(invalid(format!(
                "provider '{id}': no key is stored under the keychain label '{label}'; add it from the dashboard, or use api_key = {{ env = \"NAME\" }}"
            ))),
            Err(e) => Err(invalid(format!("provider '{id}': {e}"))),
        }
    };
    Ok(match raw {
        // A preset's conventional variable is used when it is set; otherwise there is no key.
        None => match preset.and_then(|p| p.key_env) {
            Some(name) => match ctx.env.var(name).filter(|v| !v.is_empty()) {
                Some(v) => (Some(Secret::new(v)), KeySource::Env(name.to_owned()), false),
                None => (None, KeySource::None, false),
            },
            None => (None, KeySource::None, false),
        },
        Some(RawSecret::Literal(s)) if s.is_empty() => (None, KeySource::None, false),
        Some(RawSecret::Literal(s)) => (Some(Secret::new(s)), KeySource::Literal, false),
        Some(RawSecret::Source {
            env,
            keychain,
            passthrough,
        }) => {
            let (key, source) = match (env, keychain) {
                (Some(name), _) => (Some(from_env(&name)?), KeySource::Env(name)),
                (None, Some(label)) => (Some(from_keychain(&label)?), KeySource::Keychain(label)),
                (None, None) => (None, KeySource::None),
            };
            (key, source, passthrough)
        }
    })
}

fn read_ca_file(id: &str, path: &Path) -> Result<Vec<reqwest::Certificate>, ConfigError> {
    let pem = std::fs::read(path).map_err(|e| {
        invalid(format!(
            "provider '{id}': cannot read ca_file {}: {e}",
            path.display()
        ))
    })?;
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        _ => Err(invalid(format!(
            "provider '{id}': ca_file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ))),
    }
}

/// The provider `env` that `OPENAI_API_BASE`/`OPENAI_BASE_URL` + `OPENAI_API_KEY` (+ `OPENAI_MODEL`)
/// describe, and the default route `env:<OPENAI_MODEL>`.
///
/// Seeded when a base URL variable is set, or when both a key and a model are (OpenAI's URL is then
/// assumed). A key alone seeds nothing: many shells export `OPENAI_API_KEY` for other tools, and the
/// zero-configuration gateway must stay offline. The kind follows the URL, as DingHook's guide implies:
/// `*.openai.azure.com` is Azure (the model is then the deployment), port 11434 is Ollama.
pub(super) fn env_provider(
    env: &Env,
    ctx: &ProviderContext<'_>,
) -> Result<Option<(ProviderConfig, Option<String>)>, ConfigError> {
    let base = match (&env.openai_base_url, &env.openai_model, &env.openai_api_key) {
        (Some(base), _, _) => base.clone(),
        (None, Some(_), Some(_)) => "https://api.openai.com/v1".to_owned(),
        _ => return Ok(None),
    };
    let url = reqwest::Url::parse(base.trim()).map_err(|_| {
        invalid(format!(
            "OPENAI_API_BASE / OPENAI_BASE_URL '{base}' is not a URL such as https://api.openai.com/v1"
        ))
    })?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let kind =
        if host.ends_with(".openai.azure.com") || host.ends_with(".cognitiveservices.azure.com") {
            ProviderKind::Azure
        } else if url.port_or_known_default() == Some(11434) {
            ProviderKind::Ollama
        } else {
            ProviderKind::Openai
        };
    let model = env.openai_model.clone().filter(|m| !m.trim().is_empty());
    let raw = RawProvider {
        id: "env".into(),
        preset: None,
        kind: Some(kind),
        base_url: Some(base),
        api_key: env
            .openai_api_key
            .as_ref()
            .map(|k| RawSecret::Literal(k.expose().to_owned())),
        auth: None,
        // Azure deployments cannot be discovered; the named one is the provider's model.
        models: match kind {
            ProviderKind::Azure => model.iter().cloned().collect(),
            _ => Vec::new(),
        },
        timeout_secs: None,
        connect_timeout_secs: None,
        headers: BTreeMap::new(),
        responses_api: None,
        api_version: None,
        quirks: None,
        ca_file: None,
    };
    let mut provider = validate_provider(raw, ctx).map_err(|e| match e {
        ConfigError::Invalid(m) => invalid(format!("{m} (seeded from the OPENAI_* variables)")),
        other => other,
    })?;
    if provider.api_key.is_some() {
        provider.key_source = KeySource::Env("OPENAI_API_KEY".into());
    }
    Ok(Some((provider, model.map(|m| format!("env:{m}")))))
}
