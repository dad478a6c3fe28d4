//! Prometheus metrics, in the text exposition format at `GET /metrics`: requests by provider, model and
//! status; latency and time-to-first-token histograms; tokens; requests in flight; log records dropped.
//! Updated by the log writer from finished records, so the request path pays only for two atomics.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use super::RequestRecord;

/// Histogram bucket bounds, in seconds.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

type Labels = (String, String); // provider, model

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, String, u16), u64>, // provider, model, endpoint, status
    latency: BTreeMap<Labels, Histogram>,
    ttft: BTreeMap<Labels, Histogram>,
    tokens: BTreeMap<(String, String, &'static str), u64>, // provider, model, direction
    attempts_failed: BTreeMap<String, u64>,
}

#[derive(Default)]
pub struct Metrics {
    in_flight: AtomicI64,
    log_dropped: AtomicU64,
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn in_flight_start(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn in_flight_done(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn log_dropped(&self) {
        self.log_dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn observe(&self, r: &RequestRecord) {
        let provider = r.provider.clone().unwrap_or_else(|| "none".into());
        let model = r
            .upstream_model
            .clone()
            .or_else(|| r.requested_model.clone())
            .unwrap_or_default();
        let Ok(mut m) = self.inner.lock() else { return };
        *m.requests
            .entry((
                provider.clone(),
                model.clone(),
                r.endpoint.clone(),
                r.status,
            ))
            .or_default() += 1;
        m.latency
            .entry((provider.clone(), model.clone()))
            .or_default()
            .observe(r.latency_ms / 1000.0);
        if let (true, Some(t)) = (r.stream, r.ttft_ms) {
            m.ttft
                .entry((provider.clone(), model.clone()))
                .or_default()
                .observe(t / 1000.0);
        }
        if let Some(t) = r.tokens_in {
            *m.tokens
                .entry((provider.clone(), model.clone(), "input"))
                .or_default() += t;
        }
        if let Some(t) = r.tokens_out {
            *m.tokens
                .entry((provider.clone(), model.clone(), "output"))
                .or_default() += t;
        }
        for a in r.attempts.iter().filter(|a| a.outcome != "ok") {
            *m.attempts_failed.entry(a.provider.clone()).or_default() += 1;
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let esc = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        };
        let _ = writeln!(out, "# HELP switchboard_requests_total Requests served, by provider, model, endpoint and status.");
        let _ = writeln!(out, "# TYPE switchboard_requests_total counter");
        let m = match self.inner.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        for ((p, model, e, s), n) in &m.requests {
            let _ = writeln!(out, "switchboard_requests_total{{provider=\"{}\",model=\"{}\",endpoint=\"{}\",status=\"{s}\"}} {n}", esc(p), esc(model), esc(e));
        }
        for (name, help, map) in [
            (
                "switchboard_request_duration_seconds",
                "Time from arrival to the last byte of the answer.",
                &m.latency,
            ),
            (
                "switchboard_time_to_first_token_seconds",
                "Time from arrival to the first byte of a streamed answer.",
                &m.ttft,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} histogram");
            for ((p, model), h) in map {
                let labels = format!("provider=\"{}\",model=\"{}\"", esc(p), esc(model));
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{{labels},le=\"{bound}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum);
                let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
            }
        }
        let _ = writeln!(
            out,
            "# HELP switchboard_tokens_total Tokens in and out, by provider and model."
        );
        let _ = writeln!(out, "# TYPE switchboard_tokens_total counter");
        for ((p, model, dir), n) in &m.tokens {
            let _ = writeln!(
                out,
                "switchboard_tokens_total{{provider=\"{}\",model=\"{}\",direction=\"{dir}\"}} {n}",
                esc(p),
                esc(model)
            );
        }
        let _ = writeln!(out, "# HELP switchboard_failed_attempts_total Attempts at a provider that failed (before a retry or fallback).");
        let _ = writeln!(out, "# TYPE switchboard_failed_attempts_total counter");
        for (p, n) in &m.attempts_failed {
            let _ = writeln!(
                out,
                "switchboard_failed_attempts_total{{provider=\"{}\"}} {n}",
                esc(p)
            );
        }
        let _ = writeln!(
            out,
            "# HELP switchboard_requests_in_flight Requests being served now."
        );
        let _ = writeln!(out, "# TYPE switchboard_requests_in_flight gauge");
        let _ = writeln!(
            out,
            "switchboard_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed).max(0)
        );
        let _ = writeln!(out, "# HELP switchboard_log_dropped_total Request log records dropped because the writer could not keep up.");
        let _ = writeln!(out, "# TYPE switchboard_log_dropped_total counter");
        let _ = writeln!(
            out,
            "switchboard_log_dropped_total {}",
            self.log_dropped.load(Ordering::Relaxed)
        );
        out
    }
}
