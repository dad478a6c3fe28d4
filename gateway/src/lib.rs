//! Switchboard's gateway: a local, OpenAI-compatible LLM gateway as a library.
//!
//! The gateway knows nothing about windows, trays or OS paths. It takes a validated [`Config`] and
//! returns a running [`Gateway`] with [`Gateway::shutdown`]; the headless `switchboard` CLI and the
//! desktop shell are both thin callers of it.
//!
//! Map of the crate (see ARCHITECTURE.md for the path of one request):
//! - [`config`]: the TOML file, loaded in two phases (raw serde → validated `Config`);
//! - [`server`]: the axum router, middleware (Host guard, CORS) and thin handlers;
//! - [`routing`]: model name → provider and upstream model;
//! - [`providers`]: the built-in mock provider and the OpenAI-compatible upstream provider;
//! - [`wire`]: typed views of OpenAI request bodies; [`sse`]: event-stream framing;
//! - [`error`]: the one error type and its OpenAI envelope.

pub mod admin;
pub mod admin_logs;
pub mod auth;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod files;
pub mod front_doors;
pub mod keys;
pub mod observe;
pub mod params;
pub mod providers;
pub mod reload;
pub mod routing;
pub mod secrets;
pub mod server;
pub mod snippets;
pub mod sse;
mod status_page;
pub mod translate;
pub mod ui_assets;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::Config;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("port {port} on {host} is already in use; stop the program using it or pick another port with --port")]
    PortInUse { host: String, port: u16 },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("refusing to listen on {host}: only this machine (127.0.0.1) is allowed until a gateway key exists; without keys anyone on the network could use your providers (create one with POST /admin/auth/keys while listening on 127.0.0.1)")]
    NotLoopback { host: String },
    #[error("{0}")]
    Provider(String),
    #[error("{0}")]
    State(String),
}

/// Where a gateway's configuration comes from, beyond the `Config` itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The config file to watch for edits and to write admin changes to (it may not exist yet).
    pub config_path: Option<std::path::PathBuf>,
    /// The environment the config is validated with on reload.
    pub env: config::Env,
}

/// A running gateway.
pub struct Gateway {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    watcher: JoinHandle<()>,
    prober: JoinHandle<()>,
    grace: Duration,
    state: Arc<server::AppState>,
}

impl Gateway {
    /// Binds the configured address and starts serving, with no config file behind it.
    pub async fn start(config: Config) -> Result<Gateway, StartError> {
        Gateway::start_with(config, Options::default()).await
    }

    /// Binds the configured address and starts serving; edits to `options.config_path` apply live.
    pub async fn start_with(config: Config, options: Options) -> Result<Gateway, StartError> {
        let addr = SocketAddr::new(config.server.host, config.server.port);
        let keys = keys::KeyStore::open(config.server.data_dir.as_deref())
            .map_err(|e| StartError::State(e.to_string()))?;
        if !addr.ip().is_loopback() && keys.is_empty() {
            return Err(StartError::NotLoopback {
                host: addr.ip().to_string(),
            });
        }
        let listener = TcpListener::bind(addr).await.map_err(|source| {
            if source.kind() == std::io::ErrorKind::AddrInUse {
                StartError::PortInUse {
                    host: addr.ip().to_string(),
                    port: addr.port(),
                }
            } else {
                StartError::Bind { addr, source }
            }
        })?;
        Gateway::run(listener, config, options, keys)
    }

    /// Serves on a listener the caller bound (tests bind `127.0.0.1:0`).
    pub fn serve(listener: TcpListener, config: Config) -> Result<Gateway, StartError> {
        Gateway::serve_with(listener, config, Options::default())
    }

    /// Like [`Gateway::serve`], with a config file behind it.
    pub fn serve_with(
        listener: TcpListener,
        config: Config,
        options: Options,
    ) -> Result<Gateway, StartError> {
        let keys = keys::KeyStore::open(config.server.data_dir.as_deref())
            .map_err(|e| StartError::State(e.to_string()))?;
        Gateway::run(listener, config, options, keys)
    }

    fn run(
        listener: TcpListener,
        mut config: Config,
        options: Options,
        keys: keys::KeyStore,
    ) -> Result<Gateway, StartError> {
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: SocketAddr::new(config.server.host, config.server.port),
            source,
        })?;
        config.server.port = addr.port();
        if config.mock.enabled {
            // The tokenizer loads in the background so the first request does not pay for it.
            tokio::task::spawn_blocking(providers::mock::tokens::warm_up);
        }
        let server_config = config.server.clone();
        let (live_logs, live_health) = (config.logs.clone(), config.health.clone());
        let live =
            reload::build_live(config, None).map_err(|e| StartError::Provider(e.to_string()))?;
        let log_store = server_config
            .data_dir
            .as_deref()
            .filter(|_| live_logs.enabled)
            .and_then(|dir| {
                match observe::store::SqliteStore::open(dir, store_settings(&live_logs)) {
                    Ok(store) => Some(Arc::new(store)),
                    Err(e) => {
                        tracing::error!("request log off: {e}");
                        None
                    }
                }
            });
        let sinks: Vec<Arc<dyn observe::LogSink>> = log_store
            .iter()
            .map(|s| s.clone() as Arc<dyn observe::LogSink>)
            .collect();
        let recorder = observe::Recorder::start(sinks, log_settings(&live_logs));
        let state = Arc::new(server::AppState {
            live: arc_swap::ArcSwap::from_pointee(live),
            server: server_config.clone(),
            keys,
            source: reload::ConfigSource::new(options.config_path, options.env),
            started: Instant::now(),
            recorder,
            log_store,
            health: Arc::new(observe::health::HealthBoard::new(health_settings(
                &live_health,
            ))),
            system: Arc::new(observe::system::SystemMonitor::default()),
            closing: tokio::sync::watch::channel(false).0,
        });
        let watcher = tokio::spawn(watch_config(state.clone()));
        let prober = tokio::spawn(background_upkeep(state.clone()));
        let app = server::router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let listener = listener.tap_io(|tcp| {
            // Small SSE events must leave at once, not wait for Nagle's algorithm.
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Gateway {
            addr,
            shutdown: Some(tx),
            task,
            watcher,
            prober,
            grace: server_config.shutdown_grace,
            state,
        })
    }

    /// The request recorder: live tail, dropped-record count, and (for tests and embedders) a way
    /// to hand it records.
    pub fn recorder(&self) -> Arc<observe::Recorder> {
        self.state.recorder.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The OpenAI base URL clients should use, e.g. `http://127.0.0.1:4242/v1`.
    pub fn base_url(&self) -> String {
        format!(
            "http://{}:{}/v1",
            server::display_host(self.addr.ip()),
            self.addr.port()
        )
    }

    /// Provider ids with their model counts, for startup messages and the tray.
    pub fn summary(&self) -> Vec<(String, &'static str, Vec<String>)> {
        self.state
            .live()
            .registry
            .providers()
            .iter()
            .map(|p| {
                (
                    p.id().to_owned(),
                    p.kind(),
                    p.models().into_iter().map(|m| m.id).collect(),
                )
            })
            .collect()
    }

    /// The same summary `GET /health` returns: overall state and each provider's.
    pub fn health(&self) -> serde_json::Value {
        server::health_snapshot(&self.state)
    }

    /// A counter that moves whenever a provider changes state (for the tray and notifications);
    /// read the states with [`Gateway::health`].
    pub fn subscribe_health(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.health.subscribe()
    }

    /// Request records as the log writer finishes them (a live tail; slow receivers skip ahead).
    pub fn subscribe_requests(
        &self,
    ) -> tokio::sync::broadcast::Receiver<Arc<observe::RequestRecord>> {
        self.state.recorder.subscribe()
    }

    /// Stops accepting connections and lets in-flight requests finish, for at most the configured
    /// grace period; whatever is still running then is cut off.
    pub async fn shutdown(mut self) {
        self.watcher.abort();
        self.prober.abort();
        self.state.closing.send_replace(true);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(self.grace, &mut self.task)
            .await
            .is_err()
        {
            tracing::warn!(
                "in-flight requests did not finish within {:?}; closing them",
                self.grace
            );
            abort.abort();
        }
    }

    /// Runs until the server stops on its own (it only does on an I/O error).
    pub async fn wait(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Applies edits of the config file as they happen; a broken edit leaves the last good config in force.
async fn watch_config(state: Arc<server::AppState>) {
    if state.source.path().is_none() {
        return;
    }
    let mut tick = tokio::time::interval(reload::POLL_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        // Loading may read keychain entries, which blocks.
        let source = state.clone();
        let polled = tokio::task::spawn_blocking(move || source.source.poll())
            .await
            .unwrap_or(None);
        match polled {
            None => {}
            Some(Ok(config)) => {
                if config.server.host != state.server.host
                    || config.server.port != state.server.port
                {
                    tracing::warn!("the listening address changed in the config; restart switchboard to apply it");
                }
                let previous = state.live();
                match reload::build_live(config, Some(&previous)) {
                    Ok(live) => {
                        state.recorder.set_settings(log_settings(&live.config.logs));
                        state
                            .health
                            .set_settings(health_settings(&live.config.health));
                        state.live.store(Arc::new(live));
                        tracing::info!("config reloaded");
                    }
                    Err(e) => tracing::error!("config not applied: {e}"),
                }
            }
            Some(Err(e)) => {
                tracing::error!("config not applied, the last good one stays in force: {e}")
            }
        }
    }
}

fn log_settings(c: &config::LogsConfig) -> observe::LogSettings {
    observe::LogSettings {
        bodies: c.bodies,
        max_body_bytes: c.max_body_bytes,
    }
}

fn store_settings(c: &config::LogsConfig) -> observe::store::StoreSettings {
    observe::store::StoreSettings {
        max_rows: Some(c.retention_rows),
        max_age: Some(c.retention),
        ..observe::store::StoreSettings::default()
    }
}

fn health_settings(c: &config::HealthConfig) -> observe::health::Settings {
    observe::health::Settings {
        failures_to_open: c.breaker_failures,
        open_for: c.breaker_open,
    }
}

/// How often the request log's retention runs when no writes trigger it (an idle gateway).
const RETENTION_INTERVAL: Duration = Duration::from_secs(600);

/// Provider probes and, on an idle gateway, the request log's retention.
async fn background_upkeep(state: Arc<server::AppState>) {
    let retention = {
        let state = state.clone();
        async move {
            loop {
                tokio::time::sleep(RETENTION_INTERVAL).await;
                if let Some(store) = state.log_store.clone() {
                    let _ = tokio::task::spawn_blocking(move || store.apply_retention()).await;
                }
            }
        }
    };
    tokio::join!(probe_providers(state), retention);
}

/// Probes every provider now and then (cheaply: its model list), feeding the health board.
async fn probe_providers(state: Arc<server::AppState>) {
    loop {
        // Start-up discovery already tells how providers are; the first probe comes one interval later.
        let interval = state.live().config.health.probe_interval;
        tokio::time::sleep(interval).await;
        let live = state.live();
        let probes = live.registry.providers().iter().map(|p| {
            let p = p.clone();
            let health = state.health.clone();
            async move {
                let started = Instant::now();
                match p.probe().await {
                    Ok(()) => health.success(p.id(), started.elapsed().as_secs_f64() * 1000.0),
                    Err(e) => health.failure(p.id(), &e, false),
                }
            }
        });
        futures_util::future::join_all(probes).await;
    }
}
