//! The commands the window's page calls. Each is one delegation to the gateway service, the
//! settings or an app action; errors are [`DesktopError`], which the page receives as
//! `{kind, message}`.

use tauri::{AppHandle, Runtime, State};

use crate::error::DesktopError;
use crate::model::Status;
use crate::service::GatewayService;
use crate::settings::{self, Preferences, SettingsView};

#[tauri::command]
pub fn gateway_status(service: State<'_, GatewayService>) -> Status {
    service.status()
}

#[tauri::command]
pub async fn gateway_start(service: State<'_, GatewayService>) -> Result<Status, DesktopError> {
    service.start().await
}

/// Also called by the dashboard in the window, which the stop navigates away from.
#[tauri::command]
pub async fn gateway_stop<R: Runtime>(app: AppHandle<R>) -> Result<Status, DesktopError> {
    crate::stop_gateway(&app).await
}

#[tauri::command]
pub fn copy_base_url<R: Runtime>(app: AppHandle<R>) -> Result<String, DesktopError> {
    crate::copy_base_url(&app)
}

#[tauri::command]
pub fn open_dashboard<R: Runtime>(app: AppHandle<R>) -> Result<(), DesktopError> {
    crate::window::open(&app).map(|_| ())
}

#[tauri::command]
pub fn get_settings<R: Runtime>(app: AppHandle<R>) -> SettingsView {
    settings::view(&app)
}

#[tauri::command]
pub fn set_preferences<R: Runtime>(
    app: AppHandle<R>,
    preferences: Preferences,
) -> Result<SettingsView, DesktopError> {
    settings::save(&app, preferences)
}

#[tauri::command]
pub fn set_launch_at_login<R: Runtime>(
    app: AppHandle<R>,
    enabled: bool,
) -> Result<SettingsView, DesktopError> {
    settings::set_launch_at_login(&app, enabled)
}
