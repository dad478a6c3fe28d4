//! The stub upstream: a small OpenAI-compatible server built on hyper's
//! HTTP/1 server, cheap enough that it is not what the bench measures.
//!
//! * `POST /v1/chat/completions` → a fixed `chat.completion` JSON, or an SSE
//!   stream of `chat.completion.chunk` events when the body has `"stream": true`
//! * `GET /v1/models` → one model, `bench-model`
//! * `GET /health` → `ok` (so a second stub can stand in for the gateway)

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::BoxError;

/// The model id the stub serves and the bench asks for.
pub const MODEL: &str = "bench-model";

/// Fixed non-streaming answer (≈ 420 bytes), shaped like a real OpenAI reply.
const COMPLETION: &str = concat!(
    r#"{"id":"chatcmpl-bench000000000000000000000001","object":"chat.completion","#,
    r#""created":1700000000,"model":"bench-model","system_fingerprint":"fp_bench","#,
    r#""choices":[{"index":0,"message":{"role":"assistant","#,
    r#""content":"Hello! I am the Switchboard bench stub. Every answer I give has the same size, so every request costs the same.","#,
    r#""refusal":null},"logprobs":null,"finish_reason":"stop"}],"#,
    r#""usage":{"prompt_tokens":9,"completion_tokens":27,"total_tokens":36}}"#
);

const MODELS: &str = r#"{"object":"list","data":[{"id":"bench-model","object":"model","created":0,"owned_by":"bench"}]}"#;

/// How the SSE stream is shaped.
#[derive(Clone, Copy, Debug)]
pub struct StreamShape {
    /// Chunks sent after the first (immediate) one.
    pub chunks: usize,
    /// Pause before each of those chunks.
    pub interval: Duration,
}

/// Hit counters, readable while the stub runs.
#[derive(Default, Debug)]
pub struct Hits {
    pub chat: AtomicU64,
    pub chat_stream: AtomicU64,
    pub models: AtomicU64,
    pub health: AtomicU64,
    pub other: AtomicU64,
}

/// A point-in-time copy of [`Hits`].
#[derive(Clone, Copy, Default, Debug)]
pub struct HitCounts {
    pub chat: u64,
    pub chat_stream: u64,
    pub models: u64,
    pub health: u64,
    pub other: u64,
}

impl Hits {
    pub fn snapshot(&self) -> HitCounts {
        HitCounts {
            chat: self.chat.load(Ordering::Relaxed),
            chat_stream: self.chat_stream.load(Ordering::Relaxed),
            models: self.models.load(Ordering::Relaxed),
            health: self.health.load(Ordering::Relaxed),
            other: self.other.load(Ordering::Relaxed),
        }
    }
}

impl HitCounts {
    /// Chat completions of either kind.
    pub fn completions(&self) -> u64 {
        self.chat + self.chat_stream
    }
}

struct State {
    hits: Arc<Hits>,
    /// First chunk, the `shape.chunks` further chunks, then `[DONE]`.
    events: Arc<[Bytes]>,
    interval: Duration,
}

/// A running stub.
pub struct Stub {
    pub addr: SocketAddr,
    pub hits: Arc<Hits>,
}

fn sse_events(shape: StreamShape) -> Arc<[Bytes]> {
    let head = r#"data: {"id":"chatcmpl-bench000000000000000000000002","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":"#;
    let mut events = Vec::with_capacity(shape.chunks + 2);
    events.push(Bytes::from(
        format!(
            r#"{head}{{"role":"assistant","content":""}},"logprobs":null,"finish_reason":null}}]}}"#
        ) + "\n\n",
    ));
    for i in 1..=shape.chunks {
        let event = if i == shape.chunks {
            format!(r#"{head}{{}},"logprobs":null,"finish_reason":"stop"}}]}}"#)
        } else {
            format!(r#"{head}{{"content":"tok{i:02} "}},"logprobs":null,"finish_reason":null}}]}}"#)
        };
        events.push(Bytes::from(event + "\n\n"));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    events.into()
}

/// Binds `127.0.0.1:port` (0 = any free port) and serves in the background
/// on the current tokio runtime.
pub async fn start(port: u16, shape: StreamShape) -> Result<Stub, BoxError> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let hits = Arc::new(Hits::default());
    let state = Arc::new(State {
        hits: hits.clone(),
        events: sse_events(shape),
        interval: shape.interval,
    });
    tokio::spawn(accept_loop(listener, state));
    Ok(Stub { addr, hits })
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    loop {
        let sock = match listener.accept().await {
            Ok((sock, _)) => sock,
            Err(err) => {
                // Out of file descriptors or similar: back off, don't spin.
                eprintln!("stub: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // No Nagle: small responses and SSE events must leave at once.
        if let Err(err) = sock.set_nodelay(true) {
            eprintln!("stub: set_nodelay failed: {err}");
        }
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(req, state.clone()));
            // Connection errors (peer reset at shutdown, …) are not interesting.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(sock), svc)
                .await;
        });
    }
}

type Body = UnsyncBoxBody<Bytes, Infallible>;

fn full(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut resp = Response::new(Full::new(body).boxed_unsync());
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    let body = serde_json::json!({
        "error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}
    });
    full(status, "application/json", Bytes::from(body.to_string()))
}

async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Response<Body>, Infallible> {
    let hits = &state.hits;
    let resp = match (req.method(), req.uri().path()) {
        (&Method::POST, "/v1/chat/completions") => {
            let body = match req.into_body().collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => {
                    hits.other.fetch_add(1, Ordering::Relaxed);
                    return Ok(error(StatusCode::BAD_REQUEST, "could not read body"));
                }
            };
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(v) if v.get("stream").and_then(serde_json::Value::as_bool) == Some(true) => {
                    hits.chat_stream.fetch_add(1, Ordering::Relaxed);
                    sse(&state)
                }
                Ok(_) => {
                    hits.chat.fetch_add(1, Ordering::Relaxed);
                    full(
                        StatusCode::OK,
                        "application/json",
                        Bytes::from_static(COMPLETION.as_bytes()),
                    )
                }
                Err(_) => {
                    hits.other.fetch_add(1, Ordering::Relaxed);
                    error(StatusCode::BAD_REQUEST, "body is not JSON")
                }
            }
        }
        (&Method::GET, "/v1/models") => {
            hits.models.fetch_add(1, Ordering::Relaxed);
            full(
                StatusCode::OK,
                "application/json",
                Bytes::from_static(MODELS.as_bytes()),
            )
        }
        (&Method::GET, "/health") => {
            hits.health.fetch_add(1, Ordering::Relaxed);
            full(StatusCode::OK, "text/plain", Bytes::from_static(b"ok"))
        }
        _ => {
            hits.other.fetch_add(1, Ordering::Relaxed);
            error(StatusCode::NOT_FOUND, "no such route on the bench stub")
        }
    };
    Ok(resp)
}

fn sse(state: &State) -> Response<Body> {
    let events = state.events.clone();
    let interval = state.interval;
    let last = events.len() - 1;
    let start = tokio::time::Instant::now();
    // Event 0 goes out at once; event i (1..last) at start + i·interval (so
    // timer rounding does not add up); `[DONE]` (index `last`) right after
    // the final chunk.
    let frames = stream::unfold(0usize, move |i| {
        let events = events.clone();
        async move {
            let event = events.get(i)?.clone();
            if i > 0 && i < last && !interval.is_zero() {
                let nth = u32::try_from(i).unwrap_or(u32::MAX);
                tokio::time::sleep_until(start + interval.saturating_mul(nth)).await;
            }
            Some((Ok::<_, Infallible>(Frame::data(event)), i + 1))
        }
    });
    let mut resp = Response::new(StreamBody::new(frames).boxed_unsync());
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_is_valid_json_of_realistic_size() -> Result<(), BoxError> {
        let v: serde_json::Value = serde_json::from_str(COMPLETION)?;
        assert_eq!(v["object"], "chat.completion");
        assert!(
            (350..=500).contains(&COMPLETION.len()),
            "{}",
            COMPLETION.len()
        );
        let m: serde_json::Value = serde_json::from_str(MODELS)?;
        assert_eq!(m["data"][0]["id"], MODEL);
        Ok(())
    }

    #[test]
    fn sse_events_are_valid() -> Result<(), BoxError> {
        let events = sse_events(StreamShape {
            chunks: 20,
            interval: Duration::from_millis(1),
        });
        assert_eq!(events.len(), 22);
        for event in &events[..21] {
            let text = std::str::from_utf8(event)?;
            let json = text
                .strip_prefix("data: ")
                .and_then(|t| t.strip_suffix("\n\n"))
                .ok_or("bad framing")?;
            let v: serde_json::Value = serde_json::from_str(json)?;
            assert_eq!(v["object"], "chat.completion.chunk");
        }
        assert_eq!(&events[21][..], b"data: [DONE]\n\n");
        Ok(())
    }
}
