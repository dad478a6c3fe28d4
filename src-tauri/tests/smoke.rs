//! Smoke test on Tauri's mock runtime (no display needed): the app's state and commands, wired as in
//! the real app, start and stop a real gateway through IPC, and the settings round-trip through the
//! store. The tray and the window need GTK; the Xvfb end-to-end test (tests/desktop/) covers them.

mod common;

use std::net::TcpListener;

use common::{Scratch, SHELL_PAGE};
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets};
use tauri::WebviewWindowBuilder;

fn invoke<W: AsRef<tauri::Webview<tauri::test::MockRuntime>>>(
    webview: &W,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    common::invoke(webview, SHELL_PAGE, cmd, args)
}

#[test]
fn commands_start_and_stop_the_gateway_and_keep_settings() {
    let scratch = Scratch::new();
    let port = scratch.port;
    let app = switchboard_desktop::app_builder(mock_builder(), scratch.source())
        .build(mock_context(noop_assets()))
        .unwrap_or_else(|e| panic!("{e}"));
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));

    let status = invoke(&webview, "gateway_status", json!({})).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status["running"], false);
    assert_eq!(status["base_url"], format!("http://127.0.0.1:{port}/v1"));
    assert!(!scratch.port_open());

    let status = invoke(&webview, "gateway_start", json!({})).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status["running"], true);
    assert_eq!(status["providers"][0]["id"], "mock");
    assert!(
        scratch.port_open(),
        "the gateway listens after gateway_start"
    );

    let status = invoke(&webview, "gateway_stop", json!({})).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status["running"], false);
    assert!(
        !scratch.port_open(),
        "the port is closed after gateway_stop"
    );

    // A taken port is an error the page can branch on, and the app keeps going.
    let taken = TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    let err = invoke(&webview, "gateway_start", json!({})).err();
    assert_eq!(
        err.as_ref().map(|e| e["kind"].clone()),
        Some(json!("port_in_use"))
    );
    let status = invoke(&webview, "gateway_status", json!({})).unwrap_or_else(|e| panic!("{e}"));
    assert!(status["error"]
        .as_str()
        .unwrap_or_default()
        .contains("already in use"));
    drop(taken);

    let settings = invoke(&webview, "get_settings", json!({})).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        settings,
        json!({"start_gateway_on_launch": true, "notify_provider_changes": true, "launch_at_login": false})
    );
    let saved = invoke(
        &webview,
        "set_preferences",
        json!({"preferences": {"start_gateway_on_launch": false, "notify_provider_changes": true}}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved["start_gateway_on_launch"], false);
    let again = invoke(&webview, "get_settings", json!({})).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again["start_gateway_on_launch"], false);
    // The mock context's identifier names the app data directory.
    let identifier = app.config().identifier.clone();
    assert!(
        scratch
            .dir
            .path()
            .join(identifier)
            .join("settings.json")
            .exists(),
        "the store file lands in the app data directory"
    );

    // Start at login needs the autostart plugin, which only the real app registers.
    let err = invoke(&webview, "set_launch_at_login", json!({"enabled": true})).err();
    assert_eq!(err.map(|e| e["kind"].clone()), Some(json!("autostart")));
}
