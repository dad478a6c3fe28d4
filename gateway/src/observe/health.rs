//! Provider health: up / degraded / down from periodic probes and from real traffic, with a circuit
//! breaker that routing respects. After `failures_to_open` consecutive failures a provider's breaker
//! opens: requests skip it (or fail fast with 503 when it is the only target) for `open_for`; then one
//! request (or probe) is let through half-open, and its outcome closes or reopens the breaker.
//! Subscribers (tray, dashboard) are told whenever a provider changes state.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Unknown,
    Up,
    Degraded,
    Down,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unknown => "unknown",
            State::Up => "up",
            State::Degraded => "degraded",
            State::Down => "down",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub failures_to_open: u32,
    pub open_for: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            failures_to_open: 5,
            open_for: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    state: State,
    failures: u32,
    last_error: Option<String>,
    latency_ms: Option<f64>,
    checked_at: Option<i64>,
    open_until: Option<Instant>,
    trial_running: bool,
}

impl Default for Entry {
    fn default() -> Self {
        Entry {
            state: State::Unknown,
            failures: 0,
            last_error: None,
            latency_ms: None,
            checked_at: None,
            open_until: None,
            trial_running: false,
        }
    }
}

/// Whether a request may go to a provider now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Allowed,
    /// The breaker is open for this much longer.
    Refused(Duration),
}

pub struct HealthBoard {
    settings: Mutex<Settings>,
    entries: Mutex<HashMap<String, Entry>>,
    changes: watch::Sender<u64>,
}

impl Default for HealthBoard {
    fn default() -> Self {
        HealthBoard::new(Settings::default())
    }
}

impl HealthBoard {
    pub fn new(settings: Settings) -> Self {
        HealthBoard {
            settings: Mutex::new(settings),
            entries: Mutex::new(HashMap::new()),
            changes: watch::channel(0).0,
        }
    }

    pub fn set_settings(&self, settings: Settings) {
        if let Ok(mut s) = self.settings.lock() {
            *s = settings;
        }
    }

    fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// A counter that moves whenever some provider changes state.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn update(&self, provider: &str, f: impl FnOnce(&mut Entry, &Settings)) {
        let settings = self.settings();
        let changed = {
            let Ok(mut entries) = self.entries.lock() else {
                return;
            };
            let entry = entries.entry(provider.to_owned()).or_default();
            let before = entry.state;
            f(entry, &settings);
            entry.checked_at = Some(crate::providers::unix_now());
            before != entry.state
        };
        if changed {
            self.changes.send_modify(|n| *n += 1);
        }
    }

    pub fn success(&self, provider: &str, latency_ms: f64) {
        self.update(provider, |e, _| {
            e.state = State::Up;
            e.failures = 0;
            e.last_error = None;
            e.latency_ms = Some(latency_ms);
            e.open_until = None;
            e.trial_running = false;
        });
    }

    /// A failed attempt or probe. Rate limiting degrades without counting toward the breaker.
    pub fn failure(&self, provider: &str, error: &str, rate_limited: bool) {
        self.update(provider, |e, s| {
            e.last_error = Some(error.to_owned());
            if rate_limited {
                e.state = State::Degraded;
                return;
            }
            e.failures += 1;
            let half_open_trial_failed = e.trial_running;
            e.trial_running = false;
            if half_open_trial_failed || e.failures >= s.failures_to_open {
                e.state = State::Down;
                e.open_until = Some(Instant::now() + s.open_for);
            } else {
                e.state = State::Degraded;
            }
        });
    }

    /// Whether a request may go to `provider` now; a half-open breaker lets one trial through.
    pub fn admit(&self, provider: &str) -> Admission {
        let Ok(mut entries) = self.entries.lock() else {
            return Admission::Allowed;
        };
        let Some(e) = entries.get_mut(provider) else {
            return Admission::Allowed;
        };
        match e.open_until {
            None => Admission::Allowed,
            Some(until) => {
                let now = Instant::now();
                if now < until {
                    Admission::Refused(until - now)
                } else if e.trial_running {
                    Admission::Refused(Duration::from_secs(1))
                } else {
                    e.trial_running = true;
                    Admission::Allowed
                }
            }
        }
    }

    pub fn state(&self, provider: &str) -> State {
        self.entries
            .lock()
            .ok()
            .and_then(|e| e.get(provider).map(|x| x.state))
            .unwrap_or(State::Unknown)
    }

    /// The JSON fields `/health` adds to a provider's entry.
    pub fn describe(&self, provider: &str) -> Option<Value> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(provider)?;
        let breaker = match e.open_until {
            None => "closed",
            Some(until) if Instant::now() < until => "open",
            Some(_) => "half_open",
        };
        Some(json!({
            "status": e.state.as_str(), "latency_ms": e.latency_ms, "last_error": e.last_error,
            "consecutive_failures": e.failures, "breaker": breaker, "checked_at": e.checked_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_half_opens_and_closes() {
        let board = HealthBoard::new(Settings {
            failures_to_open: 2,
            open_for: Duration::from_millis(50),
        });
        let mut changes = board.subscribe();
        assert_eq!(board.admit("p"), Admission::Allowed);
        board.failure("p", "boom", false);
        assert_eq!(board.state("p"), State::Degraded);
        assert_eq!(board.admit("p"), Admission::Allowed);
        board.failure("p", "boom", false);
        assert_eq!(board.state("p"), State::Down);
        assert!(matches!(board.admit("p"), Admission::Refused(_)));
        assert!(changes.has_changed().unwrap_or(false));
        changes.mark_unchanged();
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(
            board.admit("p"),
            Admission::Allowed,
            "half-open lets one trial through"
        );
        assert!(
            matches!(board.admit("p"), Admission::Refused(_)),
            "but only one"
        );
        board.failure("p", "still down", false);
        assert!(
            matches!(board.admit("p"), Admission::Refused(_)),
            "a failed trial reopens"
        );
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(board.admit("p"), Admission::Allowed);
        board.success("p", 12.0);
        assert_eq!(board.state("p"), State::Up);
        assert_eq!(board.admit("p"), Admission::Allowed);
        assert!(changes.has_changed().unwrap_or(false));
    }

    #[test]
    fn rate_limits_degrade_without_opening() {
        let board = HealthBoard::new(Settings {
            failures_to_open: 1,
            open_for: Duration::from_secs(60),
        });
        board.failure("p", "429", true);
        assert_eq!(board.state("p"), State::Degraded);
        assert_eq!(board.admit("p"), Admission::Allowed);
    }
}
