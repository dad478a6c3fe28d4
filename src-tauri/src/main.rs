//! `switchboard-desktop`: the tray app. Everything is in the library (`switchboard_desktop::run`).

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// The system allocator, unlike `switchboard serve` (mimalloc): measured under Xvfb, mimalloc made
// the tray-only app 26 MB bigger (292 -> 318 MB) for throughput a laptop's tools never ask for.

fn main() {
    switchboard_desktop::run();
}
