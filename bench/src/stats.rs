//! Percentiles over recorded latencies.

use serde_json::{json, Value};

/// Latencies of one leg, in nanoseconds, plus how many attempts failed.
#[derive(Default, Debug, Clone)]
pub struct Samples {
    ns: Vec<u64>,
    pub errors: u64,
    sorted: bool,
}

impl Samples {
    pub fn with_capacity(n: usize) -> Self {
        Samples {
            ns: Vec::with_capacity(n),
            errors: 0,
            sorted: true,
        }
    }

    pub fn push(&mut self, d: std::time::Duration) {
        self.ns
            .push(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        self.sorted = false;
    }

    pub fn extend(&mut self, other: Samples) {
        self.ns.extend(other.ns);
        self.errors += other.errors;
        self.sorted = false;
    }

    pub fn len(&self) -> usize {
        self.ns.len()
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.ns.sort_unstable();
            self.sorted = true;
        }
    }

    /// Nearest-rank percentile in microseconds (`p` in 0..=100); NaN if empty.
    pub fn pct_us(&mut self, p: f64) -> f64 {
        self.sort();
        if self.ns.is_empty() {
            return f64::NAN;
        }
        let n = self.ns.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        let idx = rank.clamp(1, n) - 1;
        self.ns[idx] as f64 / 1000.0
    }

    pub fn mean_us(&self) -> f64 {
        if self.ns.is_empty() {
            return f64::NAN;
        }
        let sum: u128 = self.ns.iter().map(|&v| u128::from(v)).sum();
        sum as f64 / self.ns.len() as f64 / 1000.0
    }

    pub fn max_us(&mut self) -> f64 {
        self.sort();
        self.ns.last().map_or(f64::NAN, |&v| v as f64 / 1000.0)
    }

    /// p50/p90/p99/mean/max, count and errors as JSON.
    pub fn json(&mut self) -> Value {
        json!({
            "n": self.len(),
            "errors": self.errors,
            "p50_us": round1(self.pct_us(50.0)),
            "p90_us": round1(self.pct_us(90.0)),
            "p99_us": round1(self.pct_us(99.0)),
            "mean_us": round1(self.mean_us()),
            "max_us": round1(self.max_us()),
        })
    }
}

/// One decimal, and JSON `null` for NaN.
pub fn round1(v: f64) -> Value {
    if v.is_finite() {
        json!((v * 10.0).round() / 10.0)
    } else {
        Value::Null
    }
}

/// Three decimals, and JSON `null` for NaN.
pub fn round3(v: f64) -> Value {
    if v.is_finite() {
        json!((v * 1000.0).round() / 1000.0)
    } else {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn nearest_rank() {
        let mut s = Samples::with_capacity(100);
        for i in 1..=100u64 {
            s.push(Duration::from_micros(i));
        }
        assert_eq!(s.pct_us(50.0), 50.0);
        assert_eq!(s.pct_us(99.0), 99.0);
        assert_eq!(s.pct_us(100.0), 100.0);
        assert_eq!(s.pct_us(0.0), 1.0);
        assert_eq!(s.mean_us(), 50.5);
        assert!(Samples::default().pct_us(50.0).is_nan());
    }
}
