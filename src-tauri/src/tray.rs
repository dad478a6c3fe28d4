//! The tray icon and its menu.
//!
//! The menu is built once; state changes update the items in place (`set_text`, `set_enabled`) and
//! swap the icon, so an open menu is never torn down under the user's pointer. What the items say is
//! decided by `model::menu_model`; this module only applies it and routes clicks.
//!
//! On Linux the tray is a StatusNotifierItem with a dbusmenu (libayatana-appindicator, loaded at
//! run time); there a click on the icon always opens the menu, so "open the window" is a menu item.
//! Elsewhere a left click opens the window and the right click the menu. On macOS the icons are
//! monochrome templates (the state is in the badge's shape), as the menu bar expects.

use std::sync::Mutex;

use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use crate::model::{menu_model, tray_state, MenuModel, Status, TrayState, START_LABEL};

pub const ID_STATUS: &str = "status";
pub const ID_TOGGLE: &str = "toggle";
pub const ID_COPY: &str = "copy-base-url";
pub const ID_OPEN: &str = "open-dashboard";
pub const ID_QUIT: &str = "quit";

/// What a menu item asks the app to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Toggle,
    CopyBaseUrl,
    OpenDashboard,
    Quit,
}

pub fn action_for(id: &str) -> Option<Action> {
    match id {
        ID_TOGGLE => Some(Action::Toggle),
        ID_COPY => Some(Action::CopyBaseUrl),
        ID_OPEN => Some(Action::OpenDashboard),
        ID_QUIT => Some(Action::Quit),
        _ => None,
    }
}

fn icon(state: TrayState) -> Result<Image<'static>, tauri::Error> {
    let bytes: &'static [u8] = match (state, cfg!(target_os = "macos")) {
        (TrayState::Running, false) => include_bytes!("../../icons/tray-running.png"),
        (TrayState::Stopped, false) => include_bytes!("../../icons/tray-stopped.png"),
        (TrayState::Degraded, false) => include_bytes!("../../icons/tray-degraded.png"),
        (TrayState::Running, true) => include_bytes!("../../icons/tray-running-template.png"),
        (TrayState::Stopped, true) => include_bytes!("../../icons/tray-stopped-template.png"),
        (TrayState::Degraded, true) => include_bytes!("../../icons/tray-degraded-template.png"),
    };
    Image::from_bytes(bytes)
}

/// The tray and the handles of the items that change.
pub struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    status: MenuItem<R>,
    toggle: MenuItem<R>,
    shown: Mutex<Option<(TrayState, MenuModel)>>,
}

impl<R: Runtime> Tray<R> {
    /// Builds the tray; `on_action` runs for each menu click and for a left click on the icon.
    pub fn build<F>(app: &AppHandle<R>, on_action: F) -> Result<Tray<R>, tauri::Error>
    where
        F: Fn(&AppHandle<R>, Action) + Send + Sync + Clone + 'static,
    {
        let status = MenuItem::with_id(app, ID_STATUS, "Starting…", false, None::<&str>)?;
        let toggle = MenuItem::with_id(app, ID_TOGGLE, START_LABEL, false, None::<&str>)?;
        let copy = MenuItem::with_id(app, ID_COPY, "Copy base URL", true, None::<&str>)?;
        let open = MenuItem::with_id(app, ID_OPEN, "Open dashboard", true, None::<&str>)?;
        let quit = MenuItem::with_id(app, ID_QUIT, "Quit Switchboard", true, None::<&str>)?;
        let menu = Menu::with_items(
            app,
            &[
                &status,
                &PredefinedMenuItem::separator(app)?,
                &toggle,
                &copy,
                &open,
                &PredefinedMenuItem::separator(app)?,
                &quit,
            ],
        )?;
        let on_menu = on_action.clone();
        let icon = TrayIconBuilder::with_id("switchboard")
            .icon(icon(TrayState::Stopped)?)
            .icon_as_template(cfg!(target_os = "macos"))
            .tooltip("Switchboard")
            .menu(&menu)
            .show_menu_on_left_click(false)
            .on_menu_event(move |app: &AppHandle<R>, event: MenuEvent| {
                if let Some(action) = action_for(event.id().as_ref()) {
                    on_menu(app, action);
                }
            })
            .on_tray_icon_event(move |tray: &TrayIcon<R>, event| {
                if let TrayIconEvent::Click {
                    button: MouseButton::Left,
                    button_state: MouseButtonState::Up,
                    ..
                } = event
                {
                    on_action(tray.app_handle(), Action::OpenDashboard);
                }
            })
            .build(app)?;
        Ok(Tray {
            icon,
            status,
            toggle,
            shown: Mutex::new(None),
        })
    }

    /// Brings icon and menu in line with `status`, touching only what changed.
    pub fn apply(&self, status: &Status) {
        let state = tray_state(status);
        let model = menu_model(status);
        let mut shown = self
            .shown
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = shown.as_ref();
        let result = (|| -> Result<(), tauri::Error> {
            if before.map(|(s, _)| *s) != Some(state) {
                self.icon.set_icon(Some(icon(state)?))?;
                #[cfg(target_os = "macos")]
                self.icon.set_icon_as_template(true)?;
            }
            let old = before.map(|(_, m)| m);
            if old.map(|m| &m.status_line) != Some(&model.status_line) {
                self.status.set_text(&model.status_line)?;
                self.icon.set_tooltip(Some(&model.tooltip))?;
            }
            if old.map(|m| m.toggle_label) != Some(model.toggle_label) {
                self.toggle.set_text(model.toggle_label)?;
            }
            if old.map(|m| m.toggle_enabled) != Some(model.toggle_enabled) {
                self.toggle.set_enabled(model.toggle_enabled)?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => *shown = Some((state, model)),
            Err(e) => tracing::warn!("could not update the tray: {e}"),
        }
    }
}

/// Updates the tray if the app has one (it has none in tests and when it could not be created).
pub fn apply_if_present<R: Runtime>(app: &AppHandle<R>, status: &Status) {
    if let Some(tray) = app.try_state::<Tray<R>>() {
        tray.apply(status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clickable_item_has_an_action() {
        assert_eq!(action_for(ID_TOGGLE), Some(Action::Toggle));
        assert_eq!(action_for(ID_COPY), Some(Action::CopyBaseUrl));
        assert_eq!(action_for(ID_OPEN), Some(Action::OpenDashboard));
        assert_eq!(action_for(ID_QUIT), Some(Action::Quit));
        assert_eq!(action_for(ID_STATUS), None);
    }

    #[test]
    fn every_tray_icon_decodes() {
        for state in [TrayState::Running, TrayState::Stopped, TrayState::Degraded] {
            let image = icon(state).unwrap_or_else(|e| panic!("{state:?}: {e}"));
            assert_eq!((image.width(), image.height()), (64, 64));
        }
    }
}
