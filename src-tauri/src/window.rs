//! The dashboard window and the close/exit policy.
//!
//! Closing the window destroys it (and with it the web view and its WebKit processes) while the app
//! keeps running in the tray; opening it again builds a new one. A hidden web view would keep
//! ~300 MB alive for nothing, and the window is cheap to rebuild. The app ends only through Quit.
//!
//! While the gateway runs, the window shows the dashboard the gateway serves at `/ui/`, as the top
//! page (the gateway forbids framing it). While it is stopped (or failed to start), the window shows
//! the bundled shell page (`shell/index.html`): the state, the start error, Start, and the shell's
//! settings. The window follows start and stop by navigating between the two. The shell page can
//! call all the app's commands; the dashboard talks HTTP to the gateway, as in a browser, and may call
//! two commands (status and stop, so the window can stop the gateway while it shows the dashboard),
//! granted at run time for the dashboard's exact origin: no other page the window might show gets
//! any.

use std::collections::HashSet;
use std::sync::Mutex;

use tauri::ipc::CapabilityBuilder;
use tauri::{AppHandle, Manager, Runtime, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use crate::error::DesktopError;
use crate::model::Status;
use crate::service::GatewayService;

/// What the window should show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    Dashboard(Url),
    Shell,
    /// Starting or stopping: stay where it is.
    Unchanged,
}

pub fn page_for(status: &Status) -> Page {
    if status.busy {
        Page::Unchanged
    } else if status.running {
        Url::parse(&status.dashboard_url).map_or(Page::Shell, Page::Dashboard)
    } else {
        Page::Shell
    }
}

/// The shell page's address inside the app (a literal that always parses).
pub fn shell_url() -> Option<Url> {
    let text = if cfg!(windows) {
        "http://tauri.localhost/index.html"
    } else {
        "tauri://localhost/index.html"
    };
    Url::parse(text).ok()
}

/// Where to navigate from `current` to show `page`, if anywhere. Any page of the dashboard's origin
/// counts as the dashboard (the user may be on its Logs page), any app page as the shell.
pub fn navigation(current: &Url, page: &Page) -> Option<Url> {
    match page {
        Page::Unchanged => None,
        Page::Dashboard(url) => (!same_origin(current, url)).then(|| url.clone()),
        Page::Shell => shell_url().filter(|shell| !same_origin(current, shell)),
    }
}

/// Scheme, host and port match (`Url::origin` is opaque, never equal, for `tauri://`).
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The commands the dashboard may call in the window.
pub const DASHBOARD_PERMISSIONS: [&str; 2] = ["allow-gateway-status", "allow-gateway-stop"];

/// The remote-URL pattern that matches the pages of `url`'s origin and nothing else.
pub fn origin_pattern(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    Some(format!("{}://{host}:{port}/*", url.scheme()))
}

/// The dashboard origins granted so far (a capability is added once per origin).
#[derive(Default)]
pub struct DashboardGrants(Mutex<HashSet<String>>);

/// Lets the dashboard at `url` call [`DASHBOARD_PERMISSIONS`] in the main window.
pub fn grant_dashboard<R: Runtime>(app: &AppHandle<R>, url: &Url) {
    let Some(pattern) = origin_pattern(url) else {
        return;
    };
    let Some(grants) = app.try_state::<DashboardGrants>() else {
        return;
    };
    let mut granted = grants.0.lock().unwrap_or_else(|p| p.into_inner());
    if granted.contains(&pattern) {
        return;
    }
    let mut capability = CapabilityBuilder::new(format!("dashboard-{}", granted.len()))
        .remote(pattern.clone())
        .window(MAIN);
    for permission in DASHBOARD_PERMISSIONS {
        capability = capability.permission(permission);
    }
    match app.add_capability(capability) {
        Ok(()) => {
            granted.insert(pattern);
        }
        Err(e) => tracing::warn!("the dashboard cannot reach the app's commands: {e}"),
    }
}

/// Points an open window at the page `status` calls for.
pub fn follow<R: Runtime>(app: &AppHandle<R>, status: &Status) {
    show(app, &page_for(status));
}

/// Points an open window at `page`, granting the dashboard its commands before it gets there.
fn show<R: Runtime>(app: &AppHandle<R>, page: &Page) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    let Ok(current) = window.url() else { return };
    if let Some(url) = navigation(&current, page) {
        if let Page::Dashboard(dashboard) = page {
            grant_dashboard(app, dashboard);
        }
        if let Err(e) = window.navigate(url) {
            tracing::warn!("could not switch the window's page: {e}");
        }
    }
}

pub const MAIN: &str = "main";

/// What to do when the event loop asks to exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitDecision {
    /// Let the app end.
    Exit,
    /// Keep the app (and the gateway) running in the tray.
    KeepRunning,
}

/// `code` is `None` when the last window closed and `Some` when something called `exit`;
/// `quitting` is set by the Quit menu item; without a tray (no tray host, or it failed) nothing
/// could bring the app back, so closing the last window ends it.
pub fn on_exit_requested(code: Option<i32>, quitting: bool, has_tray: bool) -> ExitDecision {
    match (code, quitting, has_tray) {
        (Some(_), _, _) | (None, true, _) | (None, false, false) => ExitDecision::Exit,
        (None, false, true) => ExitDecision::KeepRunning,
    }
}

/// What closing the window does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseAction {
    /// Let the window be destroyed; the app stays in the tray (see [`on_exit_requested`]).
    Destroy,
    /// Keep the window (used while quitting is in progress, so the page can show it).
    Keep,
}

/// Closing always frees the window, except while Quit is shutting the gateway down.
pub fn on_close_requested(quitting: bool) -> CloseAction {
    if quitting {
        CloseAction::Keep
    } else {
        CloseAction::Destroy
    }
}

/// Moves an open window off the dashboard (to the shell page) before the gateway stops: the
/// dashboard's live streams would otherwise hold the shutdown for its whole grace period.
pub fn leave_dashboard<R: Runtime>(app: &AppHandle<R>) {
    show(app, &Page::Shell);
}

/// Shows the window, building it if it was closed (or never opened).
pub fn open<R: Runtime>(app: &AppHandle<R>) -> Result<WebviewWindow<R>, DesktopError> {
    let status = app.state::<GatewayService>().status();
    let window = match app.get_webview_window(MAIN) {
        Some(window) => {
            follow(app, &status);
            window
        }
        None => {
            let url = match page_for(&status) {
                Page::Dashboard(url) => {
                    grant_dashboard(app, &url);
                    WebviewUrl::External(url)
                }
                Page::Shell | Page::Unchanged => WebviewUrl::App("index.html".into()),
            };
            WebviewWindowBuilder::new(app, MAIN, url)
                .title("Switchboard")
                .inner_size(1040.0, 760.0)
                .min_inner_size(520.0, 360.0)
                .build()
                .map_err(|e| DesktopError::Window(e.to_string()))?
        }
    };
    let shown = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    if let Err(e) = shown {
        tracing::warn!("could not bring the window to the front: {e}");
    }
    Ok(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(running: bool, busy: bool) -> Status {
        Status {
            running,
            busy,
            address: "127.0.0.1:4242".into(),
            base_url: "http://127.0.0.1:4242/v1".into(),
            dashboard_url: "http://127.0.0.1:4242/ui/".into(),
            health: None,
            providers: vec![],
            error: None,
        }
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_window_shows_the_dashboard_while_running_and_the_shell_otherwise() {
        let dashboard = url("http://127.0.0.1:4242/ui/");
        assert_eq!(
            page_for(&status(true, false)),
            Page::Dashboard(dashboard.clone())
        );
        assert_eq!(page_for(&status(false, false)), Page::Shell);
        assert_eq!(page_for(&status(false, true)), Page::Unchanged);
        assert_eq!(page_for(&status(true, true)), Page::Unchanged);
        let shell = shell_url().unwrap_or_else(|| panic!("shell url"));
        assert_eq!(
            navigation(&shell, &Page::Dashboard(dashboard.clone())),
            Some(dashboard.clone())
        );
        assert_eq!(navigation(&dashboard, &Page::Shell), Some(shell));
    }

    #[test]
    fn navigation_leaves_a_page_of_the_right_kind_alone() {
        let dashboard = url("http://127.0.0.1:4242/ui/");
        let logs = url("http://127.0.0.1:4242/ui/logs?q=x");
        assert_eq!(navigation(&logs, &Page::Dashboard(dashboard.clone())), None);
        let shell = shell_url().unwrap_or_else(|| panic!("shell url"));
        assert_eq!(navigation(&shell, &Page::Shell), None);
        assert_eq!(navigation(&logs, &Page::Unchanged), None);
        // The gateway moved to another port: follow it.
        let moved = url("http://127.0.0.1:5000/ui/");
        assert_eq!(
            navigation(&logs, &Page::Dashboard(moved.clone())),
            Some(moved)
        );
    }

    #[test]
    fn the_dashboard_grant_covers_its_own_origin_only() {
        assert_eq!(
            origin_pattern(&url("http://127.0.0.1:4242/ui/logs")).as_deref(),
            Some("http://127.0.0.1:4242/*")
        );
        assert_eq!(
            origin_pattern(&url("http://[::1]:5000/ui/")).as_deref(),
            Some("http://[::1]:5000/*")
        );
        assert_eq!(
            origin_pattern(&url("http://localhost/ui/")).as_deref(),
            Some("http://localhost:80/*")
        );
    }

    #[test]
    fn closing_the_last_window_keeps_the_app_in_the_tray() {
        assert_eq!(
            on_exit_requested(None, false, true),
            ExitDecision::KeepRunning
        );
    }

    #[test]
    fn without_a_tray_closing_the_last_window_ends_the_app() {
        assert_eq!(on_exit_requested(None, false, false), ExitDecision::Exit);
    }

    #[test]
    fn quit_and_explicit_exit_end_the_app() {
        assert_eq!(on_exit_requested(None, true, true), ExitDecision::Exit);
        assert_eq!(on_exit_requested(Some(0), false, true), ExitDecision::Exit);
        assert_eq!(on_exit_requested(Some(1), true, false), ExitDecision::Exit);
    }

    #[test]
    fn closing_destroys_the_window_unless_quitting() {
        assert_eq!(on_close_requested(false), CloseAction::Destroy);
        assert_eq!(on_close_requested(true), CloseAction::Keep);
    }
}
