//! The config file as a live source: edits on disk are applied without a restart, a broken edit keeps
//! the last good config in force (and is reported in `/health` and the log), and the admin API writes
//! the file atomically with `toml_edit`, so the user's comments and layout survive.
//!
//! Reloading swaps the whole [`Live`] value (registry + config) at once; requests in flight keep the
//! snapshot they started with. Listening address changes need a restart and say so.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::config::{Config, Env};
use crate::error::GatewayError;
use crate::providers::mock::MockProvider;
use crate::providers::{anthropic::AnthropicProvider, openai::OpenAiProvider, Provider};
use crate::routing::Registry;

/// What requests are served from: swapped as a whole on reload.
pub struct Live {
    pub registry: Registry,
    pub config: Config,
}

/// How often the file is checked for changes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(750);

/// Builds the providers and the registry for a config. `previous` lends the mock provider's models
/// that were loaded at run time.
pub fn build_live(config: Config, previous: Option<&Live>) -> Result<Live, GatewayError> {
    let mut providers: Vec<Arc<Provider>> = Vec::new();
    for p in &config.providers {
        let provider = match p.kind {
            crate::config::ProviderKind::Openai
            | crate::config::ProviderKind::Azure
            | crate::config::ProviderKind::Ollama => {
                OpenAiProvider::new(p.clone()).map(Provider::OpenAi)?
            }
            crate::config::ProviderKind::Anthropic => {
                AnthropicProvider::new(p.clone()).map(Provider::Anthropic)?
            }
        };
        providers.push(Arc::new(provider));
    }
    if config.mock.enabled {
        let old_mock = previous.and_then(|l| match l.registry.provider("mock").map(|p| &**p) {
            Some(Provider::Mock(m)) => Some(m),
            _ => None,
        });
        let mock = match old_mock {
            Some(old) => MockProvider::reloaded(&config.mock, old),
            None => MockProvider::new(&config.mock),
        };
        providers.push(Arc::new(Provider::Mock(mock)));
    }
    for p in &providers {
        let p = p.clone();
        tokio::spawn(async move { p.refresh_models().await });
    }
    let registry = Registry::new(providers, config.routes.clone(), config.routing.clone());
    Ok(Live { registry, config })
}

#[derive(Default)]
struct SourceState {
    /// Modification time and length of the file as last applied (or last seen broken).
    seen: Option<(SystemTime, u64)>,
    last_error: Option<String>,
}

/// The config file behind a running gateway, if there is one.
pub struct ConfigSource {
    path: Option<PathBuf>,
    env: Env,
    state: Mutex<SourceState>,
}

fn fingerprint(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl ConfigSource {
    /// `path` may not exist yet: the admin API creates it on its first write.
    pub fn new(path: Option<PathBuf>, env: Env) -> Self {
        let seen = path.as_deref().and_then(fingerprint);
        ConfigSource {
            path,
            env,
            state: Mutex::new(SourceState {
                seen,
                last_error: None,
            }),
        }
    }

    /// The environment the config is validated with.
    pub fn env(&self) -> &Env {
        &self.env
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The error of the last edit that could not be applied, if the file is still broken.
    pub fn last_error(&self) -> Option<String> {
        self.state.lock().ok()?.last_error.clone()
    }

    /// If the file changed since it was last applied, the new config (or why it cannot be used).
    pub fn poll(&self) -> Option<Result<Config, String>> {
        let path = self.path.as_deref()?;
        let now = fingerprint(path);
        let mut state = self.state.lock().ok()?;
        if now.is_none() || now == state.seen {
            return None;
        }
        state.seen = now;
        let result = Config::load(path, &self.env).map_err(|e| e.to_string());
        state.last_error = result.as_ref().err().cloned();
        Some(result)
    }

    /// Edits the file with `edit`, validates the result, writes it atomically and returns the new config.
    /// Nothing is written when the edit or the validation fails.
    pub fn update(
        &self,
        edit: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<(), GatewayError>,
    ) -> Result<Config, GatewayError> {
        let path = self.path.as_deref().ok_or_else(|| {
            GatewayError::invalid(
                "this gateway runs without a config file, so settings cannot be saved; start it with --config FILE",
                None,
            )
        })?;
        let mut state = self
            .state
            .lock()
            .map_err(|_| GatewayError::Internal("config state unavailable".into()))?;
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(GatewayError::Internal(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| {
            GatewayError::invalid(
                format!(
                    "the config file {} is not valid TOML ({e}); fix it by hand first",
                    path.display()
                ),
                None,
            )
        })?;
        edit(&mut doc)?;
        let new_text = doc.to_string();
        let config = Config::from_toml_str(&new_text, &self.env).map_err(|e| {
            GatewayError::invalid(
                format!("the change would make the config invalid: {e}"),
                None,
            )
        })?;
        let private = private_mode(path);
        crate::files::write_atomic(path, new_text.as_bytes(), private)
            .map_err(|e| GatewayError::Internal(format!("cannot write {}: {e}", path.display())))?;
        state.seen = fingerprint(path);
        state.last_error = None;
        Ok(config)
    }
}

/// Keeps a config file that only its owner could read that way (it may hold literal keys).
fn private_mode(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}
