//! The load itself: interleaved sequential legs (latency), and concurrent keep-alive workers
//! (throughput).

use super::*;

#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Chat,
    Stream,
}

/// One leg of an interleaved phase.
pub(crate) struct LegResult {
    /// Latency (chat) or TTFB (stream).
    pub(crate) primary: Samples,
    /// Total stream time (stream only).
    pub(crate) secondary: Samples,
    /// TCP connections opened (1 if keep-alive held throughout).
    pub(crate) connects: u64,
}

/// Results of an interleaved sequential phase, legs indexed like `LEG_NAMES`.
pub(crate) struct Interleaved {
    pub(crate) legs: Vec<LegResult>,
    /// Requests sent to the gateway (warm-up included).
    pub(crate) sent: u64,
    /// Completions the stub served while the gateway leg ran.
    pub(crate) upstream_hits: u64,
}

impl Interleaved {
    pub(crate) fn connects_note(&self) -> String {
        let opened: Vec<String> = self
            .legs
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{} {}", LEG_NAMES[i], l.connects))
            .collect();
        let note = if self.legs[GATEWAY].connects > 1 {
            " — the gateway closed keep-alive connections!"
        } else {
            ""
        };
        format!("TCP connections opened: {}{note}", opened.join(", "))
    }

    /// (p50, p99) of leg `i` minus those of the direct leg, if leg `i` ran.
    pub(crate) fn added(
        &mut self,
        i: usize,
        which: fn(&mut LegResult) -> &mut Samples,
    ) -> Option<(f64, f64)> {
        if i >= self.legs.len() {
            return None;
        }
        let d = which(&mut self.legs[DIRECT]);
        let (d50, d99) = (d.pct_us(50.0), d.pct_us(99.0));
        let l = which(&mut self.legs[i]);
        Some((l.pct_us(50.0) - d50, l.pct_us(99.0) - d99))
    }
}

/// Runs `count` requests on each leg, one at a time, going round the legs
/// every `block` requests, after `warmup` unrecorded requests per leg.
pub(crate) async fn interleaved(
    kind: Kind,
    targets: &[Target],
    body: &Bytes,
    warmup: usize,
    count: usize,
    block: usize,
    hits: &Hits,
) -> Result<Interleaved, BoxError> {
    let mut conns = Vec::with_capacity(targets.len());
    let mut legs = Vec::with_capacity(targets.len());
    for t in targets {
        conns.push(Conn::open(t).await?);
        legs.push(LegResult {
            primary: Samples::with_capacity(count),
            secondary: Samples::with_capacity(count),
            connects: 0,
        });
    }
    let mut sent = 0u64;
    let mut upstream_hits = 0u64;

    // (leg, requests, recorded?): warm-up first, then measured blocks.
    let mut plan: Vec<(usize, usize, bool)> =
        (0..targets.len()).map(|leg| (leg, warmup, false)).collect();
    let mut done = 0;
    while done < count {
        let n = block.min(count - done);
        plan.extend((0..targets.len()).map(|leg| (leg, n, true)));
        done += n;
    }

    for (leg, n, record) in plan {
        let before: HitCounts = hits.snapshot();
        let mut consecutive = 0u64;
        for _ in 0..n {
            if leg == GATEWAY {
                sent += 1;
            }
            let conn = &mut conns[leg];
            let result = match kind {
                Kind::Chat => {
                    let t = Instant::now();
                    conn.chat(body).await.map(|_| (t.elapsed(), None))
                }
                Kind::Stream => conn
                    .chat_stream(body, false)
                    .await
                    .map(|(timing, _)| (timing.ttfb, Some(timing.total))),
            };
            let res = &mut legs[leg];
            match result {
                Ok((first, total)) => {
                    consecutive = 0;
                    if record {
                        res.primary.push(first);
                        if let Some(total) = total {
                            res.secondary.push(total);
                        }
                    }
                }
                Err(e) => {
                    res.primary.errors += 1;
                    consecutive += 1;
                    if consecutive >= MAX_CONSECUTIVE_ERRORS {
                        return Err(format!(
                            "{} leg: {consecutive} failures in a row, last: {e}",
                            LEG_NAMES[leg]
                        )
                        .into());
                    }
                }
            }
        }
        if leg == GATEWAY {
            upstream_hits += hits.snapshot().completions() - before.completions();
        }
    }
    for (res, conn) in legs.iter_mut().zip(&conns) {
        res.connects = conn.connects;
    }
    Ok(Interleaved {
        legs,
        sent,
        upstream_hits,
    })
}

// ---- concurrency phase -----------------------------------------------------------

pub(crate) struct Concurrent {
    pub(crate) rps: f64,
    /// Latencies of the requests completed inside the measured window.
    pub(crate) latency: Samples,
    pub(crate) connects: u64,
    pub(crate) sent: u64,
    pub(crate) upstream_hits: u64,
    pub(crate) first_error: Option<String>,
}

impl Concurrent {
    pub(crate) fn json(&mut self) -> Value {
        json!({
            "rps": round1(self.rps),
            "requests_in_window": self.latency.len(),
            "errors": self.latency.errors,
            "latency": self.latency.json(),
            "connections_opened": self.connects,
            "requests_sent": self.sent,
            "first_error": self.first_error,
        })
    }
}

pub(crate) struct WorkerResult {
    pub(crate) latency: Samples,
    pub(crate) sent: u64,
    pub(crate) connects: u64,
    pub(crate) first_error: Option<String>,
}

pub(crate) async fn worker(
    mut conn: Conn,
    body: Bytes,
    window_start: Instant,
    end: Instant,
) -> WorkerResult {
    let mut latency = Samples::with_capacity(4096);
    let mut sent = 0u64;
    let mut consecutive = 0u64;
    let mut first_error = None;
    loop {
        let t = Instant::now();
        if t >= end {
            break;
        }
        sent += 1;
        let result = conn.chat(&body).await;
        let now = Instant::now();
        let in_window = now >= window_start && now < end;
        match result {
            Ok(_) => {
                consecutive = 0;
                if in_window {
                    latency.push(now - t);
                }
            }
            Err(e) => {
                if in_window {
                    latency.errors += 1;
                }
                first_error.get_or_insert_with(|| e.to_string());
                consecutive += 1;
                if consecutive >= MAX_CONSECUTIVE_ERRORS {
                    break;
                }
                // Don't spin on a failing server.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
    WorkerResult {
        latency,
        sent,
        connects: conn.connects,
        first_error,
    }
}

/// `connections` workers, each one keep-alive connection sending requests
/// back to back; counts completions inside the measured window.
pub(crate) async fn concurrent(
    target: &Target,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    body: &Bytes,
    hits: &Hits,
) -> Result<Concurrent, BoxError> {
    // Open every connection before the clock starts.
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(Conn::open(target).await?);
    }
    let before = hits.snapshot();
    let start = Instant::now();
    let window_start = start + warmup;
    let end = window_start + duration;
    let handles: Vec<_> = conns
        .into_iter()
        .map(|c| tokio::spawn(worker(c, body.clone(), window_start, end)))
        .collect();
    let mut latency = Samples::with_capacity(0);
    let mut connects = 0;
    let mut sent = 0;
    let mut first_error = None;
    for h in handles {
        let r = h.await?;
        latency.extend(r.latency);
        connects += r.connects;
        sent += r.sent;
        if first_error.is_none() {
            first_error = r.first_error;
        }
    }
    let upstream_hits = hits.snapshot().completions() - before.completions();
    if latency.len() == 0 {
        return Err(format!(
            "no request to {} succeeded in the measured window (first error: {})",
            target.url(),
            first_error.as_deref().unwrap_or("none")
        )
        .into());
    }
    Ok(Concurrent {
        rps: latency.len() as f64 / duration.as_secs_f64(),
        latency,
        connects,
        sent,
        upstream_hits,
        first_error,
    })
}
