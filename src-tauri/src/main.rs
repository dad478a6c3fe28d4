//! `switchboard-desktop`: the tray app. Everything is in the library (`switchboard_desktop::run`).

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    switchboard_desktop::run();
}
