//! What the tray and the window show, derived from the gateway's state by plain functions.
//!
//! Nothing here touches Tauri: the service takes a [`Status`] snapshot, and these functions turn it
//! into the tray icon state, the menu's texts and the notifications to send. Keeping the decisions
//! here makes them testable without a display, and keeps `tray.rs` a dumb applier of a model.

use serde::Serialize;
use serde_json::Value;

/// One provider as `GET /health` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProviderHealth {
    pub id: String,
    /// `up`, `down`, `unknown` (first discovery not finished) or `configured` (static model list,
    /// never probed).
    pub status: String,
}

impl ProviderHealth {
    /// Up, or configured with a static model list: nothing says it is broken.
    pub fn is_healthy(&self) -> bool {
        matches!(self.status.as_str(), "up" | "configured")
    }

    pub fn is_down(&self) -> bool {
        self.status == "down"
    }
}

/// A snapshot of the gateway as the desktop shell sees it; also what the window's page receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Whether the gateway is listening.
    pub running: bool,
    /// A start or stop is in progress.
    pub busy: bool,
    /// `host:port` the gateway listens on, or would listen on once started.
    pub address: String,
    /// The OpenAI base URL tools should use (stable whether or not the gateway runs).
    pub base_url: String,
    /// Where the dashboard is served.
    pub dashboard_url: String,
    /// The `status` field of `/health` (`ok` or `degraded`) while running.
    pub health: Option<String>,
    pub providers: Vec<ProviderHealth>,
    /// Why the last start failed (port in use, bad config file), until the next successful start.
    pub error: Option<String>,
}

/// Parses the providers out of `Gateway::health()` (the JSON of `GET /health`).
pub fn providers_from_health(health: &Value) -> Vec<ProviderHealth> {
    health["providers"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|p| ProviderHealth {
                    id: p["id"].as_str().unwrap_or("?").to_owned(),
                    status: p["status"].as_str().unwrap_or("unknown").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The three faces of the tray icon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayState {
    Running,
    Stopped,
    Degraded,
}

/// Running and every provider fine → running; running with a provider down (or `/health` saying
/// degraded) → degraded; anything else → stopped.
pub fn tray_state(status: &Status) -> TrayState {
    if !status.running {
        TrayState::Stopped
    } else if status.health.as_deref() == Some("degraded")
        || status.providers.iter().any(ProviderHealth::is_down)
    {
        TrayState::Degraded
    } else {
        TrayState::Running
    }
}

/// The parts of the tray menu that change; the items themselves are built once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuModel {
    /// The first, disabled line: address and provider health, or why the gateway is not running.
    pub status_line: String,
    pub toggle_label: &'static str,
    pub toggle_enabled: bool,
    pub tooltip: String,
}

pub const START_LABEL: &str = "Start gateway";
pub const STOP_LABEL: &str = "Stop gateway";

/// "N of M providers healthy".
pub fn providers_line(providers: &[ProviderHealth]) -> String {
    let healthy = providers.iter().filter(|p| p.is_healthy()).count();
    let total = providers.len();
    let noun = if total == 1 { "provider" } else { "providers" };
    format!("{healthy} of {total} {noun} healthy")
}

pub fn menu_model(status: &Status) -> MenuModel {
    let status_line = if status.busy && status.running {
        format!("Stopping… ({})", status.address)
    } else if status.busy {
        format!("Starting on {}…", status.address)
    } else if status.running {
        format!(
            "Running on {} · {}",
            status.address,
            providers_line(&status.providers)
        )
    } else if let Some(error) = &status.error {
        format!("Not running: {}", first_clause(error))
    } else {
        "Stopped".to_owned()
    };
    MenuModel {
        tooltip: format!("Switchboard: {status_line}"),
        status_line,
        toggle_label: if status.running {
            STOP_LABEL
        } else {
            START_LABEL
        },
        toggle_enabled: !status.busy,
    }
}

/// Error messages say what to do after a `;`; a menu line has room for the first part only.
fn first_clause(message: &str) -> &str {
    message.split(';').next().unwrap_or(message).trim()
}

/// A provider state change worth a desktop notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alert {
    Down { provider: String },
    Recovered { provider: String },
}

impl Alert {
    pub fn title(&self) -> String {
        match self {
            Alert::Down { provider } => format!("Provider {provider} is down"),
            Alert::Recovered { provider } => format!("Provider {provider} is back up"),
        }
    }

    pub fn body(&self) -> &'static str {
        match self {
            Alert::Down { .. } => {
                "Requests routed to it fail until it answers again; the dashboard shows the last error."
            }
            Alert::Recovered { .. } => "It answers again; requests are routed to it.",
        }
    }
}

/// Providers that went down (from any other state, including not seen before) or came back from down.
pub fn provider_alerts(before: &[ProviderHealth], after: &[ProviderHealth]) -> Vec<Alert> {
    after
        .iter()
        .filter_map(|now| {
            let was_down = before.iter().any(|b| b.id == now.id && b.is_down());
            if now.is_down() && !was_down {
                Some(Alert::Down {
                    provider: now.id.clone(),
                })
            } else if was_down && now.is_healthy() {
                Some(Alert::Recovered {
                    provider: now.id.clone(),
                })
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(id: &str, status: &str) -> ProviderHealth {
        ProviderHealth {
            id: id.into(),
            status: status.into(),
        }
    }

    fn running(providers: Vec<ProviderHealth>) -> Status {
        Status {
            running: true,
            busy: false,
            address: "127.0.0.1:4242".into(),
            base_url: "http://127.0.0.1:4242/v1".into(),
            dashboard_url: "http://127.0.0.1:4242/ui/".into(),
            health: Some(
                if providers.iter().any(|p| p.is_down()) {
                    "degraded"
                } else {
                    "ok"
                }
                .into(),
            ),
            providers,
            error: None,
        }
    }

    fn stopped(error: Option<&str>) -> Status {
        Status {
            running: false,
            health: None,
            providers: vec![],
            error: error.map(Into::into),
            ..running(vec![])
        }
    }

    #[test]
    fn providers_are_read_from_the_health_json() {
        let health = json!({"status":"degraded","providers":[
            {"id":"vllm","kind":"openai","status":"down","last_error":"refused"},
            {"id":"mock","kind":"mock","status":"up","models":5}]});
        assert_eq!(
            providers_from_health(&health),
            vec![p("vllm", "down"), p("mock", "up")]
        );
        assert!(providers_from_health(&json!({})).is_empty());
    }

    #[test]
    fn tray_state_follows_running_and_provider_health() {
        assert_eq!(tray_state(&stopped(None)), TrayState::Stopped);
        assert_eq!(
            tray_state(&stopped(Some(
                "port 4242 on 127.0.0.1 is already in use; stop it"
            ))),
            TrayState::Stopped
        );
        assert_eq!(
            tray_state(&running(vec![p("mock", "up"), p("lab", "configured")])),
            TrayState::Running
        );
        assert_eq!(
            tray_state(&running(vec![p("mock", "up"), p("vllm", "down")])),
            TrayState::Degraded
        );
        // A provider whose first discovery has not finished does not make the gateway degraded.
        assert_eq!(
            tray_state(&running(vec![p("vllm", "unknown")])),
            TrayState::Running
        );
        // /health's own verdict wins even if the provider list disagrees.
        let mut s = running(vec![p("mock", "up")]);
        s.health = Some("degraded".into());
        assert_eq!(tray_state(&s), TrayState::Degraded);
    }

    #[test]
    fn menu_when_running_shows_address_and_healthy_count() {
        let m = menu_model(&running(vec![
            p("mock", "up"),
            p("vllm", "down"),
            p("lab", "unknown"),
        ]));
        assert_eq!(
            m.status_line,
            "Running on 127.0.0.1:4242 · 1 of 3 providers healthy"
        );
        assert_eq!(m.toggle_label, STOP_LABEL);
        assert!(m.toggle_enabled);
        assert_eq!(
            menu_model(&running(vec![p("mock", "up")])).status_line,
            "Running on 127.0.0.1:4242 · 1 of 1 provider healthy"
        );
    }

    #[test]
    fn menu_when_stopped_offers_start_and_names_the_start_error() {
        let m = menu_model(&stopped(None));
        assert_eq!(m.status_line, "Stopped");
        assert_eq!(m.toggle_label, START_LABEL);
        assert!(m.toggle_enabled);
        let m = menu_model(&stopped(Some(
            "port 4242 on 127.0.0.1 is already in use; stop the program using it or pick another port",
        )));
        assert_eq!(
            m.status_line,
            "Not running: port 4242 on 127.0.0.1 is already in use"
        );
        assert_eq!(m.toggle_label, START_LABEL);
    }

    #[test]
    fn toggle_is_disabled_while_starting_or_stopping() {
        let mut s = stopped(None);
        s.busy = true;
        let m = menu_model(&s);
        assert!(!m.toggle_enabled);
        assert_eq!(m.status_line, "Starting on 127.0.0.1:4242…");
        let mut s = running(vec![]);
        s.busy = true;
        assert!(!menu_model(&s).toggle_enabled);
        assert_eq!(menu_model(&s).toggle_label, STOP_LABEL);
    }

    #[test]
    fn alerts_fire_on_transitions_only() {
        let before = vec![p("mock", "up"), p("vllm", "up"), p("lab", "down")];
        let after = vec![p("mock", "up"), p("vllm", "down"), p("lab", "up")];
        assert_eq!(
            provider_alerts(&before, &after),
            vec![
                Alert::Down {
                    provider: "vllm".into()
                },
                Alert::Recovered {
                    provider: "lab".into()
                }
            ]
        );
        // Staying down is not news; neither is unknown → up.
        assert!(provider_alerts(&after, &after).is_empty());
        assert!(provider_alerts(&[p("x", "unknown")], &[p("x", "up")]).is_empty());
        // A provider first seen down (at launch) is reported once.
        assert_eq!(
            provider_alerts(&[], &[p("vllm", "down")]),
            vec![Alert::Down {
                provider: "vllm".into()
            }]
        );
        // Stopping the gateway (no providers) is not a provider going down.
        assert!(provider_alerts(&before, &[]).is_empty());
    }

    #[test]
    fn alert_texts_name_the_provider() {
        let a = Alert::Down {
            provider: "vllm".into(),
        };
        assert_eq!(a.title(), "Provider vllm is down");
        assert!(!a.body().is_empty());
    }
}
