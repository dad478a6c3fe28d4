//! Switchboard's desktop shell: a tray app around the gateway library, which runs in-process.
//!
//! The shell holds no gateway logic. It owns one [`service::GatewayService`] (start, stop, status),
//! shows that status in the tray ([`tray`]) and in the dashboard window ([`window`]), and adds what
//! a browser cannot do: one instance only, start at login (off by default), desktop notifications
//! when a provider goes down, the clipboard, and settings kept with tauri-plugin-store.
//!
//! Map:
//! - [`model`]: status → tray state, menu texts, notifications (plain functions, unit-tested);
//! - [`service`]: the gateway handle and the config file lookup;
//! - [`tray`], [`window`]: the native pieces and the close/exit policy;
//! - [`commands`]: what the window's page calls, one delegation each; [`settings`]: preferences;
//! - [`options`]: the command line (`--config`, `--port`, `--hidden`).
//!
//! One task follows the gateway: it wakes on each start or stop, on the gateway's health
//! subscription (`Gateway::subscribe_health`), and every [`POLL`] as a fallback, reads
//! `Gateway::health()`, and pushes changes to the tray, the window (event `status`) and the notifier.
//!
//! Secrets: upstream keys live in the gateway's own secret store (OS keychain, else a user-only
//! file), which the dashboard writes to over the admin API. The shell stores no secrets itself.

pub mod commands;
pub mod error;
pub mod model;
pub mod options;
pub mod service;
pub mod settings;
pub mod tray;
pub mod window;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Builder, Emitter, Manager, RunEvent, Runtime, WindowEvent};

use crate::error::DesktopError;
use crate::model::{provider_alerts, ProviderHealth};
use crate::service::{ConfigSource, GatewayService};
use crate::tray::{Action, Tray};
use crate::window::{CloseAction, ExitDecision};

/// How often the gateway's health is read when nothing else wakes the watcher.
pub const POLL: Duration = Duration::from_secs(3);

/// The event the window's page listens to; its payload is a [`model::Status`].
pub const STATUS_EVENT: &str = "status";

/// What the close/exit policy needs to know about the app.
#[derive(Default)]
pub struct AppFlags {
    /// Set by Quit, so closing windows during shutdown does not keep the app alive.
    quitting: AtomicBool,
    /// Whether a tray icon exists to bring the app back after its window closed.
    has_tray: AtomicBool,
}

/// The parts of the app that do not need a display: state, store, commands. The real app adds the
/// native plugins, the tray and the window on top; the `tauri::test` smoke test uses this alone.
pub fn app_builder<R: Runtime>(builder: Builder<R>, source: ConfigSource) -> Builder<R> {
    builder
        .plugin(tauri_plugin_store::Builder::new().build())
        .manage(GatewayService::new(source))
        .manage(AppFlags::default())
        .manage(window::DashboardGrants::default())
        .invoke_handler(tauri::generate_handler![
            commands::gateway_status,
            commands::gateway_start,
            commands::gateway_stop,
            commands::copy_base_url,
            commands::open_dashboard,
            commands::get_settings,
            commands::set_preferences,
            commands::set_launch_at_login,
        ])
}

/// The app's entry point (`main.rs` calls it).
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let options = match options::parse(
        std::env::args().skip(1),
        std::env::var("SWITCHBOARD_CONFIG").ok(),
    ) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if options.help {
        println!("{}", options::USAGE);
        return;
    }
    let hidden = options.hidden;
    // Single-instance goes first: a second launch only brings the running app's window up.
    let builder =
        tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            open_window(app)
        }));
    let app = app_builder(builder, options.source)
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .setup(move |app| {
            setup(app.handle(), hidden);
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(on_run_event),
        Err(e) => {
            eprintln!("error: cannot start the desktop app: {e}");
            std::process::exit(1);
        }
    }
}

fn setup<R: Runtime>(app: &AppHandle<R>, hidden: bool) {
    let has_tray = match Tray::build(app, perform) {
        Ok(tray) => {
            app.manage(tray);
            app.state::<AppFlags>()
                .has_tray
                .store(true, Ordering::SeqCst);
            true
        }
        Err(e) => {
            tracing::warn!("no tray icon ({e}); closing the window will end the app");
            false
        }
    };
    let preferences = settings::load(app);
    let handle = app.clone();
    tauri::async_runtime::spawn(async move { watch(handle).await });
    if preferences.start_gateway_on_launch {
        let handle = app.clone();
        tauri::async_runtime::spawn(async move {
            // A failure is kept in the status (tray and window show it).
            let _ = handle.state::<GatewayService>().start().await;
        });
    }
    // Without a tray the window is the only way in, so it opens even with --hidden.
    if !hidden || !has_tray {
        open_window(app);
    }
}

fn open_window<R: Runtime>(app: &AppHandle<R>) {
    if let Err(e) = window::open(app) {
        tracing::warn!("{e}");
    }
}

/// Carries out a tray menu click.
fn perform<R: Runtime>(app: &AppHandle<R>, action: Action) {
    match action {
        Action::Toggle => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if app.state::<GatewayService>().status().running {
                    let _ = stop_gateway(&app).await;
                } else {
                    let _ = app.state::<GatewayService>().start().await;
                }
            });
        }
        Action::CopyBaseUrl => {
            if let Err(e) = copy_base_url(app) {
                tracing::warn!("{e}");
            }
        }
        Action::OpenDashboard => open_window(app),
        Action::Quit => quit(app),
    }
}

/// Stops the gateway, moving the window off the dashboard first: its live streams would otherwise
/// hold the shutdown for the whole grace period.
pub async fn stop_gateway<R: Runtime>(app: &AppHandle<R>) -> Result<model::Status, DesktopError> {
    window::leave_dashboard(app);
    app.state::<GatewayService>().stop().await
}

/// Stops the gateway (bounded by its grace period), then ends the app.
fn quit<R: Runtime>(app: &AppHandle<R>) {
    app.state::<AppFlags>()
        .quitting
        .store(true, Ordering::SeqCst);
    window::leave_dashboard(app);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let _ = app.state::<GatewayService>().stop().await;
        app.exit(0);
    });
}

/// Puts the gateway's base URL on the clipboard and returns it.
pub fn copy_base_url<R: Runtime>(app: &AppHandle<R>) -> Result<String, DesktopError> {
    let url = app.state::<GatewayService>().status().base_url;
    let clipboard = app
        .try_state::<tauri_plugin_clipboard_manager::Clipboard<R>>()
        .ok_or_else(|| DesktopError::Clipboard("not available in this build".into()))?;
    clipboard
        .write_text(url.clone())
        .map_err(|e| DesktopError::Clipboard(e.to_string()))?;
    Ok(url)
}

/// Follows the gateway's status: on each change, updates the tray, tells the window and sends
/// notifications for providers that went down or came back.
async fn watch<R: Runtime>(app: AppHandle<R>) {
    let service = app.state::<GatewayService>();
    let mut shown = None;
    let mut providers: Vec<ProviderHealth> = Vec::new();
    loop {
        // Subscribed before reading, so a change in between still wakes the next wait.
        let mut health = service.health_updates();
        let status = service.status();
        if shown.as_ref() != Some(&status) {
            tray::apply_if_present(&app, &status);
            window::follow(&app, &status);
            if let Err(e) = app.emit(STATUS_EVENT, &status) {
                tracing::debug!("status event not delivered: {e}");
            }
            if status.running {
                let alerts = provider_alerts(&providers, &status.providers);
                if !alerts.is_empty() && settings::load(&app).notify_provider_changes {
                    notify(&app, &alerts);
                }
                providers = status.providers.clone();
            } else {
                providers.clear();
            }
            shown = Some(status);
        }
        let health_changed = async {
            let moved = match health.as_mut() {
                Some(rx) => rx.changed().await.is_ok(),
                None => false,
            };
            if !moved {
                // Stopped (or the gateway went away): only the other wake-ups count.
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = service.changed() => {}
            () = health_changed => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

fn notify<R: Runtime>(app: &AppHandle<R>, alerts: &[model::Alert]) {
    let Some(notifier) = app.try_state::<tauri_plugin_notification::Notification<R>>() else {
        return;
    };
    for alert in alerts {
        tracing::info!("{}", alert.title());
        let shown = notifier
            .builder()
            .title(alert.title())
            .body(alert.body())
            .show();
        if let Err(e) = shown {
            tracing::warn!("notification not shown: {e}");
        }
    }
}

fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
    let flags = app.state::<AppFlags>();
    let quitting = || flags.quitting.load(Ordering::SeqCst);
    match event {
        RunEvent::ExitRequested { code, api, .. } => {
            let has_tray = flags.has_tray.load(Ordering::SeqCst);
            if window::on_exit_requested(code, quitting(), has_tray) == ExitDecision::KeepRunning {
                tracing::info!("window closed; Switchboard keeps running in the tray");
                api.prevent_exit();
            }
        }
        RunEvent::WindowEvent {
            event: WindowEvent::CloseRequested { api, .. },
            ..
        } if window::on_close_requested(quitting()) == CloseAction::Keep => api.prevent_close(),
        _ => {}
    }
}
