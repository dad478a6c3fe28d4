//! The gateway leg's plumbing: its URL, readiness, liveness, and a sanity check that it really
//! proxies to the stub before anything is measured.

use super::*;

/// `http://host:port[/prefix]` → address and prefix (a trailing `/v1` is
/// dropped: the bench adds `/v1/...` itself).
pub(crate) async fn parse_url(url: &str) -> Result<(SocketAddr, String), BoxError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("--gateway-url must start with http://")?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix("/v1").unwrap_or(path);
    let hostport = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let addr = tokio::net::lookup_host(hostport.as_str())
        .await?
        .next()
        .ok_or_else(|| format!("{hostport} resolves to nothing"))?;
    Ok((addr, path.to_string()))
}

pub(crate) async fn wait_healthy(
    target: &Target,
    child: Option<&mut ChildGuard>,
    timeout: Duration,
) -> Result<Duration, BoxError> {
    if let Some(g) = child {
        return g.wait_healthy(target, timeout).await;
    }
    let start = Instant::now();
    loop {
        match client::get_status(target, "/health").await {
            Ok(s) if s.is_success() => return Ok(start.elapsed()),
            Ok(s) if start.elapsed() >= timeout => {
                return Err(format!("{}/health answered {s}", target.url()).into())
            }
            Err(e) if start.elapsed() >= timeout => {
                return Err(format!("{}/health: {e}", target.url()).into())
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

pub(crate) fn check_alive(guard: &mut Option<ChildGuard>) -> Result<(), BoxError> {
    if let Some(g) = guard {
        if !g.alive() {
            return Err(format!(
                "{} died during the run; its output ({}):\n{}",
                g.what,
                g.log.display(),
                g.log_tail()
            )
            .into());
        }
    }
    Ok(())
}

pub(crate) fn git_rev() -> Option<String> {
    let out = std::process::Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--short",
            "HEAD",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

// ---- sanity ------------------------------------------------------------------

pub(crate) struct Sanity {
    pub(crate) summary: String,
    pub(crate) warnings: Vec<String>,
    pub(crate) json: Value,
}

pub(crate) fn sse_event_count(body: &[u8]) -> (usize, bool) {
    let text = String::from_utf8_lossy(body);
    let events: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let done = events.last().is_some_and(|e| *e == "data: [DONE]");
    (events.len(), done)
}

/// One non-streaming and one streaming request on each leg; checks the
/// gateway answers like the stub and (when the stub is its upstream) that it
/// really called the stub.
pub(crate) async fn sanity_check(
    direct: &Target,
    gateway: &Target,
    chat: &Bytes,
    stream: &Bytes,
    hits: &Hits,
    mode: Mode,
) -> Result<Sanity, BoxError> {
    let mut warnings = Vec::new();
    let mut d = Conn::open(direct).await?;
    let mut g = Conn::open(gateway).await?;

    let direct_body = d
        .chat(chat)
        .await
        .map_err(|e| format!("direct request failed: {e}"))?;
    let before = hits.snapshot();
    let gw_body = g
        .chat(chat)
        .await
        .map_err(|e| format!("request through the gateway failed: {e}"))?;
    let after = hits.snapshot();
    let content = |b: &[u8]| -> Option<String> {
        let v: Value = serde_json::from_slice(b).ok()?;
        v.pointer("/choices/0/message/content")?
            .as_str()
            .map(str::to_string)
    };
    let same_content =
        content(&direct_body).is_some() && content(&direct_body) == content(&gw_body);
    if !same_content {
        warnings.push(format!(
            "the gateway's answer does not carry the stub's message content: {}",
            String::from_utf8_lossy(&gw_body)
                .chars()
                .take(200)
                .collect::<String>()
        ));
    }
    let forwarded = after.chat - before.chat;
    if mode.upstream_is_ours() && forwarded != 1 {
        warnings.push(format!(
            "one request through the gateway made {forwarded} chat requests to the stub (expected 1)"
        ));
    }

    let (_, direct_stream) = d
        .chat_stream(stream, true)
        .await
        .map_err(|e| format!("direct streaming request failed: {e}"))?;
    let before = hits.snapshot();
    let (_, gw_stream) = g
        .chat_stream(stream, true)
        .await
        .map_err(|e| format!("streaming request through the gateway failed: {e}"))?;
    let after = hits.snapshot();
    let (d_events, d_done) = sse_event_count(&direct_stream);
    let (g_events, g_done) = sse_event_count(&gw_stream);
    if g_events != d_events || !g_done {
        warnings.push(format!(
            "stream through the gateway has {g_events} events (done marker: {g_done}), direct has {d_events} (done: {d_done})"
        ));
    }
    let stream_forwarded = after.chat_stream - before.chat_stream;
    if mode.upstream_is_ours() && stream_forwarded != 1 {
        warnings.push(format!(
            "one stream through the gateway made {stream_forwarded} streaming requests to the stub (expected 1)"
        ));
    }
    let summary = format!(
        "chat: {} content{}; stream: {g_events}/{d_events} events, [DONE] {}",
        if same_content { "same" } else { "DIFFERENT" },
        if mode.upstream_is_ours() {
            format!(", {forwarded} upstream call")
        } else {
            String::new()
        },
        if g_done { "present" } else { "MISSING" }
    );
    Ok(Sanity {
        summary,
        warnings,
        json: json!({
            "chat_same_content": same_content,
            "chat_upstream_calls": mode.upstream_is_ours().then_some(forwarded),
            "stream_events": { "direct": d_events, "gateway": g_events },
            "stream_done_marker": g_done,
            "stream_upstream_calls": mode.upstream_is_ours().then_some(stream_forwarded),
        }),
    })
}

// ---- sequential phases ---------------------------------------------------------
