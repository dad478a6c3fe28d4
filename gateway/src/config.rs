//! Configuration: the TOML file a user edits, loaded in two phases.
//!
//! Phase one deserialises the file into `Raw*` structs with `deny_unknown_fields`, so a typo is an error
//! that names the key, line and column instead of a silently ignored setting. Phase two turns that into
//! a validated [`Config`]: environment variables are resolved, URLs are checked, defaults are filled in.
//! Only a validated `Config` reaches the gateway. Secrets are wrapped in [`Secret`], whose `Debug` is masked.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

mod env;
mod provider;

pub use env::Env;

pub use provider::{
    AuthStyle, KeySource, ProviderConfig, ProviderKind, ProxyEnv, Quirks, ReasoningField,
    TokenLimitField, AZURE_API_VERSION,
};
use provider::{ProviderContext, RawProvider};

/// Where configuration errors come from and what is wrong, worded for the person editing the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("config: {0}")]
    Invalid(String),
}

/// A string that must never be printed: `Debug` and `Display` show it masked.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The real value, for the one place that sends it upstream.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// A masked form safe for logs and UIs: `sk-…abcd`.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() <= 8 {
            return "****".to_owned();
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

// ---------------------------------------------------------------------------------------------------
// Phase one: the file as written.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    mock: RawMock,
    #[serde(default)]
    providers: Vec<RawProvider>,
    #[serde(default)]
    routes: Vec<RawRoute>,
    #[serde(default)]
    routing: RawRouting,
    #[serde(default)]
    health: RawHealth,
    #[serde(default)]
    logs: RawLogs,
    #[serde(default)]
    discovery: RawDiscovery,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscovery {
    #[serde(default)]
    ports: BTreeMap<String, u16>,
    timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    probe_interval_secs: Option<f64>,
    breaker_failures: Option<u32>,
    breaker_open_secs: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogs {
    enabled: Option<bool>,
    bodies: Option<bool>,
    max_body_bytes: Option<usize>,
    retention_rows: Option<u64>,
    retention_days: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRouting {
    default: Option<String>,
    ignore_client_model: Option<bool>,
    retries: Option<u32>,
    retry_backoff_ms: Option<u64>,
    max_retry_wait_secs: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    host: Option<String>,
    port: Option<u16>,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    #[serde(default)]
    cors_origins: Vec<String>,
    max_body_bytes: Option<usize>,
    shutdown_grace_secs: Option<f64>,
    data_dir: Option<std::path::PathBuf>,
    /// Extra root certificates (PEM) trusted for every upstream without a `ca_file` of its own.
    ca_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMock {
    enabled: Option<bool>,
    reasoning: Option<ReasoningFormat>,
    ttft_ms: Option<u64>,
    tokens_per_second: Option<f64>,
    #[serde(default)]
    models: Vec<RawMockModel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMockModel {
    id: String,
    #[serde(rename = "type")]
    kind: MockModelKind,
    owned_by: Option<String>,
    ttft_ms: Option<u64>,
    tokens_per_second: Option<f64>,
    reasoning: Option<ReasoningFormat>,
    error_rate: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    model: String,
    targets: Vec<String>,
    retries: Option<u32>,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
}

// ---------------------------------------------------------------------------------------------------
// Phase two: the validated configuration the gateway runs on.

/// How a reasoning model shows its chain of thought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningFormat {
    /// A separate `reasoning_content` field (DeepSeek's convention).
    Field,
    /// `<think>…</think>` at the start of `content`.
    ThinkTags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MockModelKind {
    Chat,
    Completion,
    Reasoning,
    Embedding,
    Rerank,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub mock: MockConfig,
    pub providers: Vec<ProviderConfig>,
    pub routes: Vec<RouteConfig>,
    pub routing: RoutingConfig,
    pub health: HealthConfig,
    pub logs: LogsConfig,
    pub discovery: DiscoveryConfig,
}

/// Local-runtime discovery: ports to look at (by runtime id, overriding the usual ones).
#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    pub ports: BTreeMap<String, u16>,
    pub timeout: Duration,
}

/// Provider probes and the circuit breaker.
#[derive(Debug, Clone)]
pub struct HealthConfig {
    pub probe_interval: Duration,
    /// Consecutive failures that open a provider's breaker.
    pub breaker_failures: u32,
    /// How long an open breaker keeps requests away before one is let through.
    pub breaker_open: Duration,
}

/// The request log.
#[derive(Debug, Clone)]
pub struct LogsConfig {
    /// Keep a request log in the data directory (off: metrics still count).
    pub enabled: bool,
    /// Keep request and response bodies (off by default; credentials are never stored).
    pub bodies: bool,
    pub max_body_bytes: usize,
    pub retention_rows: u64,
    pub retention: Duration,
}

/// How requests find providers beyond per-model routes.
#[derive(Debug, Clone)]
pub struct RoutingConfig {
    /// Used when nothing else matches (`provider:model` or a listed model or an alias).
    pub default: Option<String>,
    /// Send every request to `default`, whatever model the client names ("the server uses its model").
    pub ignore_client_model: bool,
    /// Every request goes to the mock provider (`FORCE_MOCK_OPENAI=1`).
    pub force_mock: bool,
    /// Retries of one target before the next in a chain is tried (429, 5xx, connect errors, timeouts).
    pub retries: u32,
    /// First backoff; doubles per retry, with jitter. An upstream `retry-after` wins when it is shorter
    /// than `max_retry_wait`.
    pub retry_backoff: Duration,
    /// Longest wait the gateway accepts before retrying; a longer `retry-after` moves on to the next
    /// target (or answers the error) instead.
    pub max_retry_wait: Duration,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: IpAddr,
    pub port: u16,
    pub allowed_hosts: Vec<String>,
    pub cors_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub shutdown_grace: Duration,
    /// Where the gateway keeps its state (gateway keys, admin token, secrets file). The library never
    /// picks a platform path itself: the CLI and the desktop shell fill this in. `None` keeps state in
    /// memory only (tests).
    pub data_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone)]
pub struct MockConfig {
    pub enabled: bool,
    pub reasoning: ReasoningFormat,
    pub ttft: Duration,
    /// Zero means "as fast as possible".
    pub tokens_per_second: f64,
    pub models: Vec<MockModelConfig>,
}

#[derive(Debug, Clone)]
pub struct MockModelConfig {
    pub id: String,
    pub kind: MockModelKind,
    pub owned_by: String,
    pub ttft: Duration,
    pub tokens_per_second: f64,
    pub reasoning: ReasoningFormat,
    /// Share of requests (0..=1) answered with an injected 500.
    pub error_rate: f64,
}

#[derive(Debug, Clone)]
pub struct RouteConfig {
    pub model: String,
    /// `provider:model` names, tried in order.
    pub targets: Vec<String>,
    /// Overrides `routing.retries` for this route.
    pub retries: Option<u32>,
    /// Request fields set when the client did not send them (e.g. `reasoning_effort`).
    pub params: serde_json::Map<String, serde_json::Value>,
}

pub const DEFAULT_PORT: u16 = 4242;
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The mock provider's preset models: the names clients of OpenAI mock servers already use.
pub const PRESET_MOCK_MODELS: &[(&str, MockModelKind)] = &[
    ("mock-gpt-3.5-turbo", MockModelKind::Chat),
    ("mock-davinci-002", MockModelKind::Completion),
    ("deepseek-reasoner", MockModelKind::Reasoning),
    ("mock-embedding-ada-002", MockModelKind::Embedding),
    ("mock-rerank-v1", MockModelKind::Rerank),
];

impl Default for Config {
    fn default() -> Self {
        // An empty document always validates.
        Config::from_toml_str("", &Env::default()).unwrap_or_else(|_| unreachable_config())
    }
}

#[cold]
fn unreachable_config() -> Config {
    Config {
        server: ServerConfig {
            host: IpAddr::from([127, 0, 0, 1]),
            port: DEFAULT_PORT,
            allowed_hosts: vec![],
            cors_origins: vec![],
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            shutdown_grace: Duration::from_secs(10),
            data_dir: None,
        },
        mock: MockConfig {
            enabled: true,
            reasoning: ReasoningFormat::Field,
            ttft: Duration::ZERO,
            tokens_per_second: 0.0,
            models: vec![],
        },
        providers: vec![],
        routes: vec![],
        routing: RoutingConfig {
            default: None,
            ignore_client_model: false,
            force_mock: false,
            retries: 1,
            retry_backoff: Duration::from_millis(250),
            max_retry_wait: Duration::from_secs(10),
        },
        health: HealthConfig {
            probe_interval: Duration::from_secs(30),
            breaker_failures: 5,
            breaker_open: Duration::from_secs(30),
        },
        logs: LogsConfig {
            enabled: true,
            bodies: false,
            max_body_bytes: 64 * 1024,
            retention_rows: 100_000,
            retention: Duration::from_secs(30 * 86_400),
        },
        discovery: DiscoveryConfig {
            ports: BTreeMap::new(),
            timeout: Duration::from_millis(400),
        },
    }
}

impl Config {
    /// Loads and validates a config file.
    pub fn load(path: &Path, env: &Env) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::from_toml_str(&text, env).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates TOML text; errors name the key, line and column.
    pub fn from_toml_str(text: &str, env: &Env) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: "<text>".into(),
            message: describe_toml_error(text, &e),
        })?;
        validate(raw, env)
    }

    /// Every model id the mock provider serves when enabled.
    pub fn mock_model_ids(&self) -> Vec<&str> {
        self.mock.models.iter().map(|m| m.id.as_str()).collect()
    }
}

fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().to_owned();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

fn secs(value: f64, what: &str) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        ConfigError::Invalid(format!("{what} must be a non-negative number of seconds"))
    })
}

fn validate(raw: RawConfig, env: &Env) -> Result<Config, ConfigError> {
    let host_text = raw.server.host.unwrap_or_else(|| "127.0.0.1".into());
    let host: IpAddr = parse_host(&host_text)?;
    let server = ServerConfig {
        host,
        port: raw.server.port.unwrap_or(DEFAULT_PORT),
        allowed_hosts: raw
            .server
            .allowed_hosts
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        cors_origins: raw.server.cors_origins,
        max_body_bytes: raw.server.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
        data_dir: raw.server.data_dir.or_else(|| env.data_dir.clone()),
        shutdown_grace: secs(
            raw.server.shutdown_grace_secs.unwrap_or(10.0),
            "server.shutdown_grace_secs",
        )?,
    };

    let default_reasoning = match raw.mock.reasoning {
        Some(r) => r,
        None => match env.enable_reasoning.as_deref().map(str::trim) {
            None | Some("") => ReasoningFormat::Field,
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => ReasoningFormat::Field,
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => ReasoningFormat::ThinkTags,
            Some(v) => {
                return Err(ConfigError::Invalid(format!(
                    "ENABLE_REASONING must be true or false, not '{v}'"
                )))
            }
        },
    };
    let ttft = Duration::from_millis(raw.mock.ttft_ms.unwrap_or(50));
    let tps = raw.mock.tokens_per_second.unwrap_or(200.0);
    check_rate(tps, "mock.tokens_per_second")?;
    let mut models: Vec<MockModelConfig> = PRESET_MOCK_MODELS
        .iter()
        .map(|(id, kind)| MockModelConfig {
            id: (*id).to_owned(),
            kind: *kind,
            owned_by: "switchboard-mock".into(),
            ttft,
            tokens_per_second: tps,
            reasoning: default_reasoning,
            error_rate: 0.0,
        })
        .collect();
    for m in raw.mock.models {
        let tokens_per_second = m.tokens_per_second.unwrap_or(tps);
        check_rate(
            tokens_per_second,
            &format!("mock.models '{}' tokens_per_second", m.id),
        )?;
        let error_rate = m.error_rate.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&error_rate) {
            return Err(ConfigError::Invalid(format!(
                "mock model '{}': error_rate must be between 0 and 1",
                m.id
            )));
        }
        if m.id.trim().is_empty() {
            return Err(ConfigError::Invalid(
                "mock model id must not be empty".into(),
            ));
        }
        let model = MockModelConfig {
            owned_by: m.owned_by.unwrap_or_else(|| "switchboard-mock".into()),
            ttft: m.ttft_ms.map_or(ttft, Duration::from_millis),
            tokens_per_second,
            reasoning: m.reasoning.unwrap_or(default_reasoning),
            error_rate,
            kind: m.kind,
            id: m.id,
        };
        // A configured model with a preset's name replaces the preset.
        match models.iter_mut().find(|p| p.id == model.id) {
            Some(existing) => *existing = model,
            None => models.push(model),
        }
    }
    let mock = MockConfig {
        enabled: raw.mock.enabled.unwrap_or(true),
        reasoning: default_reasoning,
        ttft,
        tokens_per_second: tps,
        models,
    };

    let secrets = if env.os_keychain {
        crate::secrets::SecretStore::new(server.data_dir.as_deref())
    } else {
        crate::secrets::SecretStore::without_keychain(server.data_dir.as_deref())
    };
    let ctx = ProviderContext {
        env,
        secrets: &secrets,
        ca_file: raw.server.ca_file.as_deref(),
    };
    let mut providers = Vec::with_capacity(raw.providers.len() + 1);
    for p in raw.providers {
        providers.push(provider::validate_provider(p, &ctx)?);
    }
    // OPENAI_API_BASE & co. seed a provider `env` unless the file has one of that name.
    let mut env_default = None;
    if let Some((p, default)) = provider::env_provider(env, &ctx)? {
        if !providers.iter().any(|q| q.id == p.id) {
            providers.push(p);
            env_default = default;
        }
    }
    let mut seen = std::collections::HashSet::new();
    for p in &providers {
        if p.id == "mock" {
            return Err(ConfigError::Invalid(
                "provider id 'mock' is reserved for the built-in mock provider".into(),
            ));
        }
        if !seen.insert(p.id.as_str()) {
            return Err(ConfigError::Invalid(format!(
                "two providers have the id '{}'",
                p.id
            )));
        }
    }

    let mut routes = Vec::with_capacity(raw.routes.len());
    for r in raw.routes {
        if r.targets.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "route '{}' has no targets; list at least one \"provider:model\"",
                r.model
            )));
        }
        routes.push(RouteConfig {
            model: r.model,
            targets: r.targets,
            retries: r.retries,
            params: r.params,
        });
    }

    let ignore_client_model = raw.routing.ignore_client_model.unwrap_or(false);
    let default = raw.routing.default.or(env_default);
    if ignore_client_model && default.is_none() {
        return Err(ConfigError::Invalid(
            "routing.ignore_client_model needs routing.default, the model every request should go to".into(),
        ));
    }
    let routing = RoutingConfig {
        default,
        ignore_client_model,
        force_mock: env.force_mock,
        retries: raw.routing.retries.unwrap_or(1),
        retry_backoff: Duration::from_millis(raw.routing.retry_backoff_ms.unwrap_or(250)),
        max_retry_wait: secs(
            raw.routing.max_retry_wait_secs.unwrap_or(10.0),
            "routing.max_retry_wait_secs",
        )?,
    };
    if routing.force_mock && !mock.enabled {
        return Err(ConfigError::Invalid(
            "FORCE_MOCK_OPENAI is set but [mock] enabled = false; turn the mock provider on or unset the variable".into(),
        ));
    }

    let health = HealthConfig {
        probe_interval: secs(
            raw.health.probe_interval_secs.unwrap_or(30.0).max(1.0),
            "health.probe_interval_secs",
        )?,
        breaker_failures: raw.health.breaker_failures.unwrap_or(5).max(1),
        breaker_open: secs(
            raw.health.breaker_open_secs.unwrap_or(30.0),
            "health.breaker_open_secs",
        )?,
    };
    let logs = LogsConfig {
        enabled: raw.logs.enabled.unwrap_or(true),
        bodies: raw.logs.bodies.unwrap_or(false),
        max_body_bytes: raw.logs.max_body_bytes.unwrap_or(64 * 1024),
        retention_rows: raw.logs.retention_rows.unwrap_or(100_000),
        retention: secs(
            raw.logs.retention_days.unwrap_or(30.0) * 86_400.0,
            "logs.retention_days",
        )?,
    };

    Ok(Config {
        server,
        mock,
        providers,
        routes,
        routing,
        health,
        logs,
        discovery: DiscoveryConfig {
            ports: raw.discovery.ports,
            timeout: Duration::from_millis(raw.discovery.timeout_ms.unwrap_or(400)),
        },
    })
}

fn check_rate(value: f64, what: &str) -> Result<(), ConfigError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ConfigError::Invalid(format!(
            "{what} must be zero (unlimited) or a positive number"
        )))
    }
}

/// Accepts an IP address or `localhost`.
pub fn parse_host(text: &str) -> Result<IpAddr, ConfigError> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    if t.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    t.parse().map_err(|_| {
        ConfigError::Invalid(format!(
            "host '{text}' is not an IP address; use 127.0.0.1 (this machine only) or 0.0.0.0 (all interfaces)"
        ))
    })
}

#[cfg(test)]
mod tests;
