//! Runs a [`Translator`] over a stream of SSE bytes: parse, translate, encode, as the bytes arrive.
//!
//! One output buffer per input chunk (not per event) keeps the number of body frames down. An error
//! from the source (a dropped upstream connection) is passed on after what was already translated, so
//! the client sees the same abort it would have seen without translation.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::sse::SseParser;
use super::{Emit, Translator};
use crate::providers::SseStream;

struct State<S, T> {
    source: S,
    parser: SseParser,
    translator: T,
    ended: bool,
}

/// Translates `source` event by event with `translator`.
pub fn translate<S, T>(source: S, translator: T) -> SseStream
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin + 'static,
    T: Translator,
{
    let state = State {
        source,
        parser: SseParser::new(),
        translator,
        ended: false,
    };
    Box::pin(futures_util::stream::unfold(state, |mut st| async move {
        if st.ended {
            return None;
        }
        loop {
            match st.source.next().await {
                Some(Ok(chunk)) => {
                    let mut emits = Vec::new();
                    for event in st.parser.push(&chunk) {
                        emits.extend(st.translator.event(&event));
                    }
                    if !emits.is_empty() {
                        return Some((Ok(Emit::encode_all(&emits)), st));
                    }
                }
                Some(Err(e)) => {
                    st.ended = true;
                    return Some((Err(e), st));
                }
                None => {
                    st.ended = true;
                    let mut emits = Vec::new();
                    if let Some(event) = st.parser.finish() {
                        emits.extend(st.translator.event(&event));
                    }
                    emits.extend(st.translator.finish());
                    if emits.is_empty() {
                        return None;
                    }
                    return Some((Ok(Emit::encode_all(&emits)), st));
                }
            }
        }
    }))
}

/// Runs a translator over a whole list of events, as the fixtures do.
pub fn translate_all<T: Translator>(mut translator: T, events: &[super::SseEvent]) -> Vec<Emit> {
    let mut out = Vec::new();
    for e in events {
        out.extend(translator.event(e));
    }
    out.extend(translator.finish());
    out
}
