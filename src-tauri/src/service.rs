//! The gateway, owned by the desktop shell: start, stop, and a [`Status`] snapshot.
//!
//! The gateway runs in-process through the library's handle (`Gateway::start` / `shutdown`). The
//! config file is read again at every start, so an edit takes effect with Stop + Start. A failed
//! start (port in use, invalid file) is kept as the status's `error` and shown by the tray and the
//! window; it never ends the app.
//!
//! Starts and stops are serialised by one async lock; the state itself sits behind a plain mutex that
//! is never held across an await, so `status()` answers at once even while a stop waits for
//! in-flight requests.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use switchboard_gateway::config::{Config, Env};
use switchboard_gateway::server::display_host;
use switchboard_gateway::{Gateway, Options};
use tokio::sync::{watch, Notify};

use crate::error::DesktopError;
use crate::model::{providers_from_health, Status};

/// Where the config comes from and what the command line overrides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigSource {
    /// `--config FILE` or `$SWITCHBOARD_CONFIG`; else the platform config dir's file if it exists.
    pub path: Option<PathBuf>,
    /// `--port N` (tests use a free port).
    pub port: Option<u16>,
}

impl ConfigSource {
    /// The file to read: the one given, else `<config dir>/switchboard/config.toml` when it exists
    /// (the same lookup as `switchboard serve`).
    pub fn file(&self) -> Option<PathBuf> {
        self.path.clone().or_else(|| {
            let p = dirs::config_dir()?.join("switchboard").join("config.toml");
            p.exists().then_some(p)
        })
    }

    /// Where the gateway watches for edits and writes changes made in the dashboard: the file in use,
    /// or the default location when there is none yet (as `switchboard serve` does).
    pub fn write_path(&self) -> Option<PathBuf> {
        self.file()
            .or_else(|| dirs::config_dir().map(|d| d.join("switchboard").join("config.toml")))
    }

    /// Reads and validates the config; with no file, the defaults (mock provider on).
    pub fn load(&self) -> Result<Config, DesktopError> {
        let env = Env::from_process();
        let mut config = match self.file() {
            Some(path) => Config::load(&path, &env),
            None => Config::from_toml_str("", &env),
        }
        .map_err(|e| DesktopError::Config(e.to_string()))?;
        if let Some(port) = self.port {
            config.server.port = port;
        }
        Ok(config)
    }
}

#[derive(Default)]
struct Inner {
    gateway: Option<Gateway>,
    busy: bool,
    error: Option<String>,
    /// Where the gateway listens or will listen, from the last config read.
    host: Option<IpAddr>,
    port: Option<u16>,
}

pub struct GatewayService {
    source: ConfigSource,
    inner: Mutex<Inner>,
    ops: tokio::sync::Mutex<()>,
    changed: Notify,
}

impl GatewayService {
    pub fn new(source: ConfigSource) -> Self {
        GatewayService {
            source,
            inner: Mutex::new(Inner::default()),
            ops: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves plain data behind; keep using it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wakes whoever waits in [`GatewayService::changed`] (the tray and window updater).
    fn touch(&self) {
        self.changed.notify_one();
    }

    /// Resolves when the state changed through a start or a stop.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// Starts the gateway unless it runs already.
    pub async fn start(&self) -> Result<Status, DesktopError> {
        let _op = self.ops.lock().await;
        if self.lock().gateway.is_some() {
            return Ok(self.status());
        }
        let config = self.source.load();
        {
            let mut inner = self.lock();
            inner.busy = true;
            if let Ok(c) = &config {
                inner.host = Some(c.server.host);
                inner.port = Some(c.server.port);
            }
        }
        self.touch();
        let result = match config {
            Ok(config) => {
                let options = Options {
                    config_path: self.source.write_path(),
                    env: Env::from_process(),
                };
                Gateway::start_with(config, options)
                    .await
                    .map_err(DesktopError::from)
            }
            Err(e) => Err(e),
        };
        let outcome = {
            let mut inner = self.lock();
            inner.busy = false;
            match result {
                Ok(gateway) => {
                    tracing::info!("gateway listening on {}", gateway.base_url());
                    inner.gateway = Some(gateway);
                    inner.error = None;
                    Ok(())
                }
                Err(e) => {
                    tracing::warn!("gateway did not start: {e}");
                    inner.error = Some(e.to_string());
                    Err(e)
                }
            }
        };
        self.touch();
        outcome.map(|()| self.status())
    }

    /// Stops the gateway (in-flight requests get the configured grace period) unless it is stopped.
    pub async fn stop(&self) -> Result<Status, DesktopError> {
        let _op = self.ops.lock().await;
        let gateway = {
            let mut inner = self.lock();
            inner.busy = inner.gateway.is_some();
            inner.error = None;
            inner.gateway.take()
        };
        if let Some(gateway) = gateway {
            self.touch();
            gateway.shutdown().await;
            tracing::info!("gateway stopped");
        }
        self.lock().busy = false;
        self.touch();
        Ok(self.status())
    }

    /// Start when stopped, stop when running (the tray's one toggle item).
    pub async fn toggle(&self) -> Result<Status, DesktopError> {
        if self.lock().gateway.is_some() {
            self.stop().await
        } else {
            self.start().await
        }
    }

    /// A receiver that moves when a provider of the running gateway changes state.
    pub fn health_updates(&self) -> Option<watch::Receiver<u64>> {
        self.lock().gateway.as_ref().map(Gateway::subscribe_health)
    }

    /// A snapshot for the tray and the window.
    pub fn status(&self) -> Status {
        let inner = self.lock();
        let (host, port, health) = match &inner.gateway {
            Some(g) => {
                let addr = g.local_addr();
                (addr.ip(), addr.port(), Some(g.health()))
            }
            None => {
                let (host, port) = match (inner.host, inner.port) {
                    (Some(h), Some(p)) => (h, p),
                    // Not started yet: what the config (or the defaults) say.
                    _ => match self.source.load() {
                        Ok(c) => (c.server.host, c.server.port),
                        Err(_) => (
                            IpAddr::V4(Ipv4Addr::LOCALHOST),
                            self.source.port.unwrap_or(4242),
                        ),
                    },
                };
                (host, port, None)
            }
        };
        let origin = format!("http://{}:{port}", display_host(host));
        Status {
            running: inner.gateway.is_some(),
            busy: inner.busy,
            address: format!("{}:{port}", display_host(host)),
            base_url: format!("{origin}/v1"),
            dashboard_url: format!("{origin}/ui/"),
            health: health
                .as_ref()
                .and_then(|h| h["status"].as_str().map(str::to_owned)),
            providers: health
                .as_ref()
                .map(providers_from_health)
                .unwrap_or_default(),
            error: inner.error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty config file (defaults: mock provider on), so a user's own file never leaks in.
    fn empty_config() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "").unwrap_or_else(|e| panic!("{e}"));
        (dir, path)
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn start_and_stop_open_and_close_the_port() {
        let port = free_port();
        let service = GatewayService::new(ConfigSource {
            path: Some(PathBuf::from("/nonexistent/but/unused")),
            port: Some(port),
        });
        // A missing config file is a config error, reported and kept in the status.
        let err = service.start().await.err();
        assert_eq!(err.map(|e| e.kind()), Some("config"));
        assert!(service.status().error.is_some());

        let (_dir, path) = empty_config();
        let service = GatewayService::new(ConfigSource {
            path: Some(path),
            port: Some(port),
        });
        let status = service.start().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(status.running);
        assert_eq!(status.base_url, format!("http://127.0.0.1:{port}/v1"));
        assert_eq!(status.dashboard_url, format!("http://127.0.0.1:{port}/ui/"));
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        // Starting twice is harmless.
        assert!(service.start().await.is_ok());

        let status = service.stop().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(!status.running);
        assert_eq!(status.base_url, format!("http://127.0.0.1:{port}/v1"));
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    #[tokio::test]
    async fn a_taken_port_is_reported_not_fatal() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0");
        let Ok(taken) = taken else { return };
        let port = taken.local_addr().map(|a| a.port()).unwrap_or(0);
        let (_dir, path) = empty_config();
        let service = GatewayService::new(ConfigSource {
            path: Some(path),
            port: Some(port),
        });
        let err = service.toggle().await.err();
        assert_eq!(err.as_ref().map(DesktopError::kind), Some("port_in_use"));
        let status = service.status();
        assert!(!status.running && !status.busy);
        assert!(status
            .error
            .unwrap_or_default()
            .contains(&format!("port {port}")));
        drop(taken);
        assert!(service.toggle().await.is_ok_and(|s| s.running));
        assert!(service.status().error.is_none());
        let _ = service.stop().await;
    }
}
