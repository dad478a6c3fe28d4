//! What the process environment says, read once by the caller (so tests pass their own).

use std::collections::BTreeMap;

use super::{ProxyEnv, Secret};

/// What the environment says, read once by the caller so tests can pass their own: defaults
/// (`ENABLE_REASONING`), `FORCE_MOCK_OPENAI`, the `OPENAI_*` variables that seed a provider, upstream
/// proxies, and the variables `api_key = { env = "NAME" }` reads.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub enable_reasoning: Option<String>,
    /// `FORCE_MOCK_OPENAI=1`: every request goes to the mock provider.
    pub force_mock: bool,
    /// `OPENAI_API_BASE`, else `OPENAI_BASE_URL`.
    pub openai_base_url: Option<String>,
    /// `OPENAI_API_KEY`.
    pub openai_api_key: Option<Secret>,
    /// `OPENAI_MODEL`: the default route of the seeded provider.
    pub openai_model: Option<String>,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`.
    pub proxy: ProxyEnv,
    /// The data directory when the file sets no `server.data_dir` (the CLI passes the platform's).
    pub data_dir: Option<std::path::PathBuf>,
    /// Whether `{ keychain = "…" }` may use the OS keychain (else only the secrets file).
    pub os_keychain: bool,
    /// The variables `{ env = "NAME" }` reads; `None` reads the process environment.
    pub vars: Option<BTreeMap<String, Secret>>,
}

impl Env {
    pub fn from_process() -> Self {
        let truthy = |name: &str| {
            std::env::var(name).is_ok_and(|v| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "1" | "true" | "yes" | "on"
                )
            })
        };
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        // Proxy variables are conventionally honoured in either case.
        let either = |name: &str| var(name).or_else(|| var(&name.to_ascii_lowercase()));
        Env {
            enable_reasoning: std::env::var("ENABLE_REASONING").ok(),
            force_mock: truthy("FORCE_MOCK_OPENAI"),
            openai_base_url: var("OPENAI_API_BASE").or_else(|| var("OPENAI_BASE_URL")),
            openai_api_key: var("OPENAI_API_KEY").map(Secret::new),
            openai_model: var("OPENAI_MODEL"),
            proxy: ProxyEnv {
                http: either("HTTP_PROXY").map(Secret::new),
                https: either("HTTPS_PROXY").map(Secret::new),
                all: either("ALL_PROXY").map(Secret::new),
                no_proxy: either("NO_PROXY"),
                system: true,
            },
            data_dir: None,
            os_keychain: true,
            vars: None,
        }
    }

    /// A variable for `{ env = "NAME" }`.
    pub fn var(&self, name: &str) -> Option<String> {
        match &self.vars {
            Some(vars) => vars.get(name).map(|v| v.expose().to_owned()),
            None => std::env::var(name).ok(),
        }
    }
}
