//! The app's real command permissions (capabilities/default.json, the generated app manifest and the
//! grant the dashboard gets at run time), checked on Tauri's mock runtime with the real context: the
//! bundled shell page may call every command; the dashboard served by the gateway may read the status
//! and stop the gateway, nothing else, and only from its own origin; other pages get nothing.

mod common;

use common::{invoke, Scratch, SHELL_PAGE};
use serde_json::{json, Value};
use switchboard_desktop::window;
use tauri::test::mock_builder;
use tauri::{Url, WebviewWindowBuilder};

fn invoke_from<W: AsRef<tauri::Webview<tauri::test::MockRuntime>>>(
    webview: &W,
    page: &str,
    cmd: &str,
) -> Result<Value, Value> {
    invoke(webview, page, cmd, json!({}))
}

fn refused(result: &Result<Value, Value>) -> bool {
    matches!(result, Err(Value::String(message)) if message.contains("not allowed"))
}

#[test]
fn the_dashboard_may_stop_the_gateway_and_nothing_else_may_reach_the_commands() {
    let scratch = Scratch::new();
    let port = scratch.port;
    let app = switchboard_desktop::app_builder(mock_builder(), scratch.source())
        .build(tauri::generate_context!("tauri.conf.json", test = true))
        .unwrap_or_else(|e| panic!("{e}"));
    let webview = WebviewWindowBuilder::new(&app, window::MAIN, Default::default())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));

    let shell = SHELL_PAGE;
    let dashboard = format!("http://127.0.0.1:{port}/ui/logs");
    let status = invoke_from(&webview, shell, "gateway_start").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status["running"], true);

    // Before the grant the dashboard's origin is a remote page like any other.
    let before = invoke_from(&webview, &dashboard, "gateway_status");
    assert!(refused(&before), "{before:?}");

    let url: Url = dashboard.parse().unwrap_or_else(|e| panic!("{e}"));
    window::grant_dashboard(app.handle(), &url);
    window::grant_dashboard(app.handle(), &url); // once per origin: no error, no duplicate
    let status =
        invoke_from(&webview, &dashboard, "gateway_status").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status["running"], true);
    for command in [
        "gateway_start",
        "copy_base_url",
        "get_settings",
        "set_launch_at_login",
    ] {
        let result = invoke_from(&webview, &dashboard, command);
        assert!(refused(&result), "{command} from the dashboard: {result:?}");
    }
    for other in [
        format!("http://127.0.0.1:{}/", port.wrapping_add(1)),
        format!("http://localhost:{port}/ui/"),
        "https://example.com/".to_string(),
    ] {
        let result = invoke_from(&webview, &other, "gateway_stop");
        assert!(refused(&result), "gateway_stop from {other}: {result:?}");
    }
    assert!(scratch.port_open());

    let status =
        invoke_from(&webview, &dashboard, "gateway_stop").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status["running"], false);
    assert!(!scratch.port_open());

    // The shell page keeps every command.
    let settings = invoke_from(&webview, shell, "get_settings").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings["launch_at_login"], false);
}
