//! What the mock-runtime tests share: a scratch data directory with a mock-only config and a free
//! port, and IPC calls made as a given page.

use std::net::{TcpListener, TcpStream};

use serde_json::Value;
use switchboard_desktop::service::ConfigSource;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::INVOKE_KEY;
use tauri::webview::InvokeRequest;

/// The bundled shell page's address, from which every command is allowed.
pub const SHELL_PAGE: &str = "tauri://localhost/index.html";

/// A scratch directory that also holds the store and the autostart entry (XDG_* point into it; each
/// test file is its own process), and a config source for the mock provider on a free port.
pub struct Scratch {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::env::set_var("XDG_DATA_HOME", dir.path());
        std::env::set_var("XDG_CONFIG_HOME", dir.path());
        std::fs::write(dir.path().join("config.toml"), "[mock]\nenabled = true\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        Scratch { dir, port }
    }

    pub fn source(&self) -> ConfigSource {
        ConfigSource {
            path: Some(self.dir.path().join("config.toml")),
            port: Some(self.port),
        }
    }

    pub fn port_open(&self) -> bool {
        TcpStream::connect(("127.0.0.1", self.port)).is_ok()
    }
}

/// Calls `cmd` with `args` as the page at `page` would.
pub fn invoke<W: AsRef<tauri::Webview<tauri::test::MockRuntime>>>(
    webview: &W,
    page: &str,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: page.parse().unwrap_or_else(|e| panic!("{e}")),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|r| r.deserialize::<Value>().unwrap_or_else(|e| panic!("{e}")))
}
