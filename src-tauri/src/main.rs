//! `switchboard-desktop`: the tray app. Everything is in the library (`switchboard_desktop::run`).

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The gateway runs in this process; its allocator is the one `switchboard serve` uses (see there).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    switchboard_desktop::run();
}
