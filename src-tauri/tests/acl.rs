//! The app's real command permissions (capabilities/default.json, the generated app manifest and the
//! grant the dashboard gets at run time), checked on Tauri's mock runtime with the real context: the
//! bundled shell page may call every command; the dashboard served by the gateway may read the status
//! and stop the gateway, nothing else, and only from its own origin; other pages get nothing.

use std::net::{TcpListener, TcpStream};

use serde_json::{json, Value};
use switchboard_desktop::service::ConfigSource;
use switchboard_desktop::window;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Url, WebviewWindowBuilder};

fn invoke_from<W: AsRef<tauri::Webview<tauri::test::MockRuntime>>>(
    webview: &W,
    page: &str,
    cmd: &str,
) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: page.parse().unwrap_or_else(|e| panic!("{e}")),
            body: InvokeBody::Json(json!({})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|r| r.deserialize::<Value>().unwrap_or_else(|e| panic!("{e}")))
}

fn refused(result: &Result<Value, Value>) -> bool {
    matches!(result, Err(Value::String(message)) if message.contains("not allowed"))
}

#[test]
fn the_dashboard_may_stop_the_gateway_and_nothing_else_may_reach_the_commands() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::env::set_var("XDG_DATA_HOME", data.path());
    std::env::set_var("XDG_CONFIG_HOME", data.path());
    let config = data.path().join("config.toml");
    std::fs::write(&config, "[mock]\nenabled = true\n").unwrap_or_else(|e| panic!("{e}"));
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let app = switchboard_desktop::app_builder(
        mock_builder(),
        ConfigSource {
            path: Some(config),
            port: Some(port),
        },
    )
    .build(tauri::generate_context!("tauri.conf.json", test = true))
    .unwrap_or_else(|e| panic!("{e}"));
    let webview = WebviewWindowBuilder::new(&app, window::MAIN, Default::default())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));

    let shell = "tauri://localhost/index.html";
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
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());

    let status =
        invoke_from(&webview, &dashboard, "gateway_stop").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status["running"], false);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());

    // The shell page keeps every command.
    let settings = invoke_from(&webview, shell, "get_settings").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings["launch_at_login"], false);
}
