//! The response body, observed on its way to the client: the time of its first byte, its size, a
//! bounded sample for the log (the head, plus the tail of long streams where usage arrives), and its
//! end — or the client's disconnect, when the body is dropped before it ended.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body::{Body as HttpBody, Frame, SizeHint};

use super::{Recorder, RequestCtx};

/// Head kept for usage parsing and body logging (at least this much, more when bodies are on).
const HEAD: usize = 256 * 1024;
/// Tail kept of longer bodies, where a stream's usage chunk sits.
const TAIL: usize = 16 * 1024;

pub struct ObservedBody {
    inner: Body,
    ctx: RequestCtx,
    recorder: Arc<Recorder>,
    head: BytesMut,
    head_cap: usize,
    tail: BytesMut,
    bytes_out: u64,
    first_byte_ms: Option<f64>,
    done: bool,
}

impl ObservedBody {
    pub fn new(inner: Body, ctx: RequestCtx, recorder: Arc<Recorder>, keep: usize) -> Self {
        ObservedBody {
            inner,
            ctx,
            recorder,
            head: BytesMut::new(),
            head_cap: HEAD.max(keep),
            tail: BytesMut::new(),
            bytes_out: 0,
            first_byte_ms: None,
            done: false,
        }
    }

    fn see(&mut self, data: &Bytes) {
        if data.is_empty() {
            return;
        }
        if self.first_byte_ms.is_none() {
            self.first_byte_ms = Some(self.ctx.started.elapsed().as_secs_f64() * 1000.0);
        }
        self.bytes_out += data.len() as u64;
        let room = self.head_cap.saturating_sub(self.head.len());
        if room > 0 {
            self.head.extend_from_slice(&data[..data.len().min(room)]);
        }
        if data.len() > room {
            self.tail.extend_from_slice(data);
            if self.tail.len() > 2 * TAIL {
                let cut = self.tail.len() - TAIL;
                let _ = self.tail.split_to(cut);
            }
        }
    }

    fn finish(&mut self, disconnected: bool) {
        if self.done {
            return;
        }
        self.done = true;
        let latency = self.ctx.started.elapsed().as_secs_f64() * 1000.0;
        let (ttft, bytes_out) = (self.first_byte_ms, self.bytes_out);
        self.ctx.update(|p| {
            p.record.latency_ms = latency;
            p.record.ttft_ms = ttft;
            p.record.bytes_out = bytes_out;
            p.record.client_disconnected = disconnected;
        });
        let head = std::mem::take(&mut self.head).freeze();
        let tail = std::mem::take(&mut self.tail).freeze();
        self.recorder.close(&self.ctx, head, tail);
    }
}

impl HttpBody for ObservedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.see(data);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                // The body failed (an upstream died, or an injected disconnect): the client gets a cut
                // answer, which the record says.
                this.finish(true);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finish(false);
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for ObservedBody {
    fn drop(&mut self) {
        // Dropped before its end: the client went away (or the server is shutting down).
        let ended = self.inner.is_end_stream();
        self.finish(!ended);
    }
}
