//! The shell's own preferences, kept with tauri-plugin-store in the app data directory
//! (`~/.local/share/dev.switchboard.desktop/settings.json` on Linux). The gateway's configuration
//! stays in its TOML file; this holds only what the desktop app decides.
//!
//! Start at login is not stored here: the autostart plugin's entry (a `.desktop` file in
//! `~/.config/autostart`, a launch agent, a registry key) is the truth, read each time.

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_store::StoreExt as _;

use crate::error::DesktopError;

const FILE: &str = "settings.json";
const KEY: &str = "settings";

/// Preferences the user changes in the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    /// Start the gateway when the app starts.
    pub start_gateway_on_launch: bool,
    /// Desktop notifications when a provider goes down or comes back.
    pub notify_provider_changes: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            start_gateway_on_launch: true,
            notify_provider_changes: true,
        }
    }
}

/// What the page's settings pane shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettingsView {
    #[serde(flatten)]
    pub preferences: Preferences,
    /// Start at login (off until the user turns it on).
    pub launch_at_login: bool,
}

/// The saved preferences, or the defaults when there are none or the file cannot be read.
pub fn load<R: Runtime>(app: &AppHandle<R>) -> Preferences {
    match app.store(FILE) {
        Ok(store) => store
            .get(KEY)
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
        Err(e) => {
            tracing::warn!("cannot read the settings, using the defaults: {e}");
            Preferences::default()
        }
    }
}

pub fn save<R: Runtime>(
    app: &AppHandle<R>,
    preferences: Preferences,
) -> Result<SettingsView, DesktopError> {
    let store = app
        .store(FILE)
        .map_err(|e| DesktopError::Settings(e.to_string()))?;
    let value =
        serde_json::to_value(&preferences).map_err(|e| DesktopError::Settings(e.to_string()))?;
    store.set(KEY, value);
    store
        .save()
        .map_err(|e| DesktopError::Settings(e.to_string()))?;
    Ok(view(app))
}

pub fn view<R: Runtime>(app: &AppHandle<R>) -> SettingsView {
    SettingsView {
        preferences: load(app),
        launch_at_login: launch_at_login(app),
    }
}

fn launch_at_login<R: Runtime>(app: &AppHandle<R>) -> bool {
    use tauri::Manager as _;
    app.try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_some_and(|_| app.autolaunch().is_enabled().unwrap_or(false))
}

pub fn set_launch_at_login<R: Runtime>(
    app: &AppHandle<R>,
    enabled: bool,
) -> Result<SettingsView, DesktopError> {
    use tauri::Manager as _;
    if app
        .try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_none()
    {
        return Err(DesktopError::Autostart(
            "not available in this build".into(),
        ));
    }
    let autolaunch = app.autolaunch();
    if enabled {
        autolaunch.enable()
    } else {
        autolaunch.disable()
    }
    .map_err(|e| DesktopError::Autostart(e.to_string()))?;
    Ok(view(app))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_take_the_defaults() {
        let p: Preferences =
            serde_json::from_value(serde_json::json!({"notify_provider_changes": false}))
                .unwrap_or_default();
        assert!(p.start_gateway_on_launch);
        assert!(!p.notify_provider_changes);
    }
}
