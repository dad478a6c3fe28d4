//! The one error type of the desktop shell. Commands return it to the page, which gets
//! `{"kind": "port_in_use", "message": "…"}`: a stable tag to branch on and a sentence to show.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use switchboard_gateway::StartError;

#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    #[error("port {port} on {host} is already in use; stop the program using it or set another port in the config file")]
    PortInUse { host: String, port: u16 },
    #[error("the config file is not valid: {0}")]
    Config(String),
    #[error("the gateway did not start: {0}")]
    Start(String),
    #[error("the settings could not be saved: {0}")]
    Settings(String),
    #[error("start at login could not be changed: {0}")]
    Autostart(String),
    #[error("the clipboard is not available: {0}")]
    Clipboard(String),
    #[error("the window could not be opened: {0}")]
    Window(String),
}

impl DesktopError {
    /// The stable tag the page branches on.
    pub fn kind(&self) -> &'static str {
        match self {
            DesktopError::PortInUse { .. } => "port_in_use",
            DesktopError::Config(_) => "config",
            DesktopError::Start(_) => "start",
            DesktopError::Settings(_) => "settings",
            DesktopError::Autostart(_) => "autostart",
            DesktopError::Clipboard(_) => "clipboard",
            DesktopError::Window(_) => "window",
        }
    }
}

impl From<StartError> for DesktopError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::PortInUse { host, port } => DesktopError::PortInUse { host, port },
            other => DesktopError::Start(other.to_string()),
        }
    }
}

impl Serialize for DesktopError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("DesktopError", 2)?;
        s.serialize_field("kind", self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_in_use_serialises_with_a_tag_and_a_sentence() {
        let e = DesktopError::from(StartError::PortInUse {
            host: "127.0.0.1".into(),
            port: 4242,
        });
        let v = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(v["kind"], "port_in_use");
        assert!(v["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("port 4242 on 127.0.0.1 is already in use"));
    }
}
