//! The load generator's HTTP client: one hyper HTTP/1 connection per
//! [`Conn`], kept alive across requests, TCP_NODELAY on, reconnecting only
//! when the server closes it (and counting when that happens).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::BoxError;

/// Where one leg of the comparison sends its requests.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    /// `Host` header value.
    pub host: HeaderValue,
    /// Path prefix put before `/v1/...` (empty for a bare `http://host:port`).
    pub prefix: String,
    pub auth: Option<HeaderValue>,
}

impl Target {
    pub fn new(addr: SocketAddr, prefix: &str, api_key: Option<&str>) -> Result<Self, BoxError> {
        let auth = match api_key {
            Some(key) => Some(HeaderValue::from_str(&format!("Bearer {key}"))?),
            None => None,
        };
        Ok(Target {
            addr,
            host: HeaderValue::from_str(&addr.to_string())?,
            prefix: prefix.trim_end_matches('/').to_string(),
            auth,
        })
    }

    /// `http://host:port[/prefix]`, for printing.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.prefix)
    }

    fn path(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path)
    }
}

/// Body bytes of one exchange, and when they arrived.
#[derive(Clone, Copy, Debug)]
pub struct StreamTiming {
    /// From just before sending the request to the first non-empty body chunk.
    pub ttfb: Duration,
    /// From just before sending to the end of the body.
    pub total: Duration,
}

/// One keep-alive HTTP/1 connection to a target.
pub struct Conn {
    target: Target,
    chat_path: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// How many TCP connections this `Conn` has opened (1 when keep-alive held).
    pub connects: u64,
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        // Ends when the server closes the connection or we drop the sender.
        let _ = conn.await;
    });
    Ok(sender)
}

impl Conn {
    pub async fn open(target: &Target) -> Result<Self, BoxError> {
        let mut conn = Conn {
            chat_path: target.path("/v1/chat/completions"),
            target: target.clone(),
            sender: None,
            connects: 0,
        };
        conn.ready().await?;
        Ok(conn)
    }

    /// A sender that is ready for the next request, reconnecting if the
    /// server has closed the previous connection.
    async fn ready(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, BoxError> {
        let usable = match self.sender.as_mut() {
            Some(sender) if !sender.is_closed() => sender.ready().await.is_ok(),
            _ => false,
        };
        if !usable {
            self.sender = None;
            let sender = connect(self.target.addr).await?;
            self.connects += 1;
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or_else(|| "no connection".into())
    }

    fn chat_request(&self, body: &Bytes) -> Result<Request<Full<Bytes>>, BoxError> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(self.chat_path.as_str())
            .header(HOST, self.target.host.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(auth) = &self.target.auth {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        Ok(builder.body(Full::new(body.clone()))?)
    }

    /// POSTs a non-streaming chat completion and reads the whole answer.
    /// Returns the body (a non-200 status is an error).
    pub async fn chat(&mut self, body: &Bytes) -> Result<Bytes, BoxError> {
        let req = self.chat_request(body)?;
        let resp = self.ready().await?.send_request(req).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        if status != StatusCode::OK {
            return Err(format!("status {status}: {}", String::from_utf8_lossy(&bytes)).into());
        }
        Ok(bytes)
    }

    /// POSTs a streaming chat completion and reads it to the end, timing the
    /// first body byte. With `keep` the body is returned too.
    pub async fn chat_stream(
        &mut self,
        body: &Bytes,
        keep: bool,
    ) -> Result<(StreamTiming, Vec<u8>), BoxError> {
        let req = self.chat_request(body)?;
        let sender = self.ready().await?;
        let start = Instant::now();
        let resp = sender.send_request(req).await?;
        let status = resp.status();
        let mut body = resp.into_body();
        let mut ttfb = None;
        let mut kept = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame?;
            if let Some(data) = frame.data_ref() {
                if !data.is_empty() {
                    if ttfb.is_none() {
                        ttfb = Some(start.elapsed());
                    }
                    if keep || status != StatusCode::OK {
                        kept.extend_from_slice(data);
                    }
                }
            }
        }
        let total = start.elapsed();
        if status != StatusCode::OK {
            return Err(format!("status {status}: {}", String::from_utf8_lossy(&kept)).into());
        }
        let ttfb = ttfb.ok_or("empty stream body")?;
        Ok((StreamTiming { ttfb, total }, kept))
    }
}

/// One `GET` on a fresh connection; returns the status, or an error if the
/// server is not (yet) listening.
pub async fn get_status(target: &Target, path: &str) -> Result<StatusCode, BoxError> {
    let stream = TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut builder = Request::builder()
        .method(Method::GET)
        .uri(target.path(path))
        .header(HOST, target.host.clone());
    if let Some(auth) = &target.auth {
        builder = builder.header(AUTHORIZATION, auth.clone());
    }
    let resp = sender.send_request(builder.body(Empty::new())?).await?;
    let status = resp.status();
    // Drain so the server sees a clean exchange.
    let _ = resp.into_body().collect().await;
    Ok(status)
}
