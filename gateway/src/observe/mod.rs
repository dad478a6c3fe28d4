//! Observability: one record per request, written off the request path, plus metrics and provider
//! health.
//!
//! The front-door middleware opens a [`RequestCtx`] for each request (a task-local, so `dispatch` and
//! the front doors can add what they learn without threading it through every signature) and wraps the
//! response body in [`body::ObservedBody`], which notes the time to first byte and closes the record
//! when the body ends or the client goes away. Closed records go through a bounded queue to a
//! background writer: a full queue never blocks a request, it counts a drop instead. The writer hands
//! batches to the [`LogSink`]s (SQLite by default; an OTLP exporter would be another sink) and
//! updates the metrics; parsing usage out of response bodies happens there too, not on the request path.

pub mod body;
pub mod client;
pub mod discover;
pub mod health;
pub mod metrics;
pub mod prices;
pub mod store;
pub mod system;
pub mod usage;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

/// One attempt at one provider, as part of a request (retries and fallbacks make several).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    /// `ok`, or the error's type (`upstream_error`, `timeout_error`, `rate_limit_error` …).
    pub outcome: String,
    pub status: Option<u16>,
    pub ms: f64,
}

/// Everything recorded about one request.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Default)]
pub struct RequestRecord {
    pub id: String,
    /// Unix time in milliseconds when the request arrived.
    pub started_at: i64,
    /// The tool that sent it (from its user agent) …
    pub client: String,
    /// … and the name of the gateway key it used, when keys are on.
    pub key_name: Option<String>,
    pub method: String,
    pub endpoint: String,
    pub requested_model: Option<String>,
    pub provider: Option<String>,
    pub upstream_model: Option<String>,
    pub stream: bool,
    pub status: u16,
    pub error_type: Option<String>,
    pub error_message: Option<String>,
    /// From arrival to the last byte of the answer.
    pub latency_ms: f64,
    /// From arrival to the first byte of the answer body.
    pub ttft_ms: Option<f64>,
    /// From sending to the provider to its answer (or first event), for the attempt that succeeded.
    pub upstream_ms: Option<f64>,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    /// True when the numbers were counted by the gateway because the answer carried no usage.
    pub tokens_estimated: bool,
    pub attempts: Vec<Attempt>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Bodies are kept only when the user turns that on, capped in size.
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    /// True when the client went away before the answer was complete.
    pub client_disconnected: bool,
}

/// What the gateway learns about a request while serving it.
#[derive(Default)]
pub struct Partial {
    pub record: RequestRecord,
    /// The request body, kept for the log when bodies are on.
    pub request_body: Option<Bytes>,
    /// Body logging as it was set when the request arrived.
    pub settings: LogSettings,
}

/// The record under construction, shared by the middleware, `dispatch` and the response body.
#[derive(Clone)]
pub struct RequestCtx {
    inner: Arc<Mutex<Partial>>,
    pub started: Instant,
}

tokio::task_local! {
    static CURRENT: RequestCtx;
}

impl RequestCtx {
    pub fn new(record: RequestRecord, settings: LogSettings) -> Self {
        RequestCtx {
            inner: Arc::new(Mutex::new(Partial {
                record,
                request_body: None,
                settings,
            })),
            started: Instant::now(),
        }
    }

    pub fn update(&self, f: impl FnOnce(&mut Partial)) {
        if let Ok(mut p) = self.inner.lock() {
            f(&mut p);
        }
    }

    /// Runs `fut` with this context as the current one.
    pub async fn scope<F: std::future::Future>(self, fut: F) -> F::Output {
        CURRENT.scope(self, fut).await
    }

    fn take(&self) -> Option<Partial> {
        self.inner.lock().ok().map(|mut p| std::mem::take(&mut *p))
    }
}

/// A new request id: `req_`, the time in milliseconds, then 40 random bits, all in fixed-width hex, so
/// ids sort by time. The log's unique index on `id` then grows at its right edge like the table itself,
/// instead of taking each insert at a random place in a B-tree bigger than SQLite's page cache.
pub fn new_request_id(unix_ms: i64) -> String {
    let ms = u64::try_from(unix_ms).unwrap_or(0) & 0xffff_ffff_ffff;
    format!("req_{ms:012x}{:010x}", fastrand::u64(..1 << 40))
}

/// Adds to the current request's record, if the code runs inside a request.
pub fn note(f: impl FnOnce(&mut Partial)) {
    let _ = CURRENT.try_with(|ctx| ctx.update(f));
}

/// A destination for request records, called on a blocking thread with batches.
pub trait LogSink: Send + Sync + 'static {
    fn write_batch(&self, records: &[RequestRecord]) -> Result<(), String>;
}

/// Settings for what is recorded.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// Keep request and response bodies.
    pub bodies: bool,
    /// Cap for each kept body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            bodies: false,
            max_body_bytes: 64 * 1024,
        }
    }
}

/// The queue between requests and the writer.
pub struct Recorder {
    tx: mpsc::Sender<Finished>,
    dropped: AtomicU64,
    pub metrics: Arc<metrics::Metrics>,
    tail: broadcast::Sender<Arc<RequestRecord>>,
    settings: Mutex<LogSettings>,
}

/// A closed request with the raw material the writer turns into numbers.
pub struct Finished {
    pub partial: Partial,
    /// The start of the response body (and, for streams, enough to find usage).
    pub response_sample: Bytes,
    pub response_tail: Bytes,
}

/// Queue capacity: at a few hundred bytes per record this bounds memory to a few MB.
const QUEUE: usize = 16384;
const BATCH: usize = 4096;
const BATCH_WAIT: Duration = Duration::from_millis(100);

impl Recorder {
    /// Starts the writer task with the given sinks.
    pub fn start(sinks: Vec<Arc<dyn LogSink>>, settings: LogSettings) -> Arc<Recorder> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (tail, _) = broadcast::channel(1024);
        let recorder = Arc::new(Recorder {
            tx,
            dropped: AtomicU64::new(0),
            metrics: Arc::new(metrics::Metrics::default()),
            tail,
            settings: Mutex::new(settings),
        });
        tokio::spawn(writer(
            rx,
            sinks,
            recorder.metrics.clone(),
            recorder.tail.clone(),
        ));
        recorder
    }

    pub fn settings(&self) -> LogSettings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn set_settings(&self, settings: LogSettings) {
        if let Ok(mut s) = self.settings.lock() {
            *s = settings;
        }
    }

    /// Records dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// New records as they are written, for live tails.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RequestRecord>> {
        self.tail.subscribe()
    }

    /// Hands a closed request to the writer without waiting.
    pub fn submit(&self, finished: Finished) {
        if self.tx.try_send(finished).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            self.metrics.log_dropped();
        }
    }

    /// Closes a request: takes what the context gathered and queues it.
    pub fn close(&self, ctx: &RequestCtx, sample: Bytes, tail: Bytes) {
        if let Some(partial) = ctx.take() {
            self.metrics.in_flight_done();
            self.submit(Finished {
                partial,
                response_sample: sample,
                response_tail: tail,
            });
        }
    }
}

async fn writer(
    mut rx: mpsc::Receiver<Finished>,
    sinks: Vec<Arc<dyn LogSink>>,
    metrics: Arc<metrics::Metrics>,
    tail: broadcast::Sender<Arc<RequestRecord>>,
) {
    let mut batch: Vec<Finished> = Vec::with_capacity(BATCH);
    loop {
        let Some(first) = rx.recv().await else { break };
        batch.push(first);
        // Let records gather without being woken for each one (a wake-up per request is a measurable
        // cost on a busy core), then take what has arrived.
        tokio::time::sleep(BATCH_WAIT).await;
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        let finished = std::mem::take(&mut batch);
        let sinks = sinks.clone();
        let records = tokio::task::spawn_blocking(move || {
            let records: Vec<RequestRecord> = finished.into_iter().map(usage::complete).collect();
            for sink in &sinks {
                if let Err(e) = sink.write_batch(&records) {
                    tracing::error!("request log sink failed: {e}");
                }
            }
            records
        })
        .await
        .unwrap_or_default();
        for r in records {
            metrics.observe(&r);
            let _ = tail.send(Arc::new(r));
        }
    }
}
