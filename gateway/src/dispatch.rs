//! Serving one request from its routing plan: each target in order, each retried with backoff on
//! failures worth retrying (429, 5xx, connect errors, timeouts), always before anything reached the
//! client; circuit breakers consulted first; every attempt noted for the request log and fed to the
//! provider health board.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};

use crate::error::{GatewayError, UpstreamError};
use crate::providers::{Call, Reply, Typed};
use crate::server::AppState;

/// Resolves the request's model and hands the call to its providers: each target of the plan in
/// order, each retried with backoff on failures worth retrying (429, 5xx, connect errors, timeouts),
/// always before anything reached the client. The front doors that translate other APIs (Anthropic
/// Messages, Responses) call this with the translated body.
pub async fn dispatch(
    state: &AppState,
    headers: HeaderMap,
    body: bytes::Bytes,
    typed: Typed,
) -> Result<Reply, GatewayError> {
    let crossed = crate::providers::hops(&headers);
    if crossed >= crate::providers::MAX_HOPS {
        return Err(GatewayError::LoopDetected(format!(
            "this request has already passed through Switchboard {crossed} times: a provider's base_url points back at a gateway; fix that provider (or OPENAI_API_BASE)"
        )));
    }
    let live = state.live();
    crate::observe::note(|p| {
        p.record.requested_model = Some(typed.model().to_owned());
        p.record.stream = typed.stream();
        // Kept (cheaply: a reference) for the log when bodies are on, and so the writer can count
        // prompt tokens when the answer carries no usage.
        p.request_body = Some(body.clone());
    });
    let plan = live.registry.plan(typed.model(), typed.endpoint()).await?;
    let body = crate::params::apply(&typed, body, &plan.params)?;
    let attempts_per_target = plan.retries as usize + 1;
    let total = plan.targets.len() * attempts_per_target;
    // The typed view is cloned only when a second attempt is possible.
    let spare = (total > 1).then(|| typed.clone());
    let mut first = Some(typed);
    let mut last_error = None;
    let mut attempt = 0;
    for (t, target) in plan.targets.iter().enumerate() {
        let provider_id = target.provider.id().to_owned();
        let more_targets = t + 1 < plan.targets.len();
        if let crate::observe::health::Admission::Refused(wait) = state.health.admit(&provider_id) {
            note_attempt(&provider_id, &target.model, "breaker_open", None, 0.0);
            if more_targets {
                continue;
            }
            return Err(last_error.unwrap_or_else(|| GatewayError::ProviderUnavailable {
                message: format!(
                    "provider '{provider_id}' is failing and is paused for {} s; retry then, or add a fallback target to the route",
                    wait.as_secs().max(1)
                ),
                retry_after_secs: wait.as_secs().max(1),
            }));
        }
        for retry in 0..attempts_per_target {
            attempt += 1;
            let typed = match first.take() {
                Some(t) => t,
                None => match &spare {
                    Some(s) => s.clone(),
                    None => break,
                },
            };
            let call = Call {
                body: body.clone(),
                typed,
                upstream_model: target.model.clone(),
                client_headers: headers.clone(),
            };
            let started = Instant::now();
            let result = target.provider.call(call).await;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let error = match result {
                Ok(reply) => {
                    state.health.success(&provider_id, ms);
                    note_attempt(&provider_id, &target.model, "ok", Some(200), ms);
                    crate::observe::note(|p| {
                        p.record.provider = Some(provider_id.clone());
                        p.record.upstream_model = Some(target.model.clone());
                        p.record.upstream_ms = Some(ms);
                    });
                    return Ok(reply);
                }
                Err(e) => e,
            };
            let status = error.status_code();
            note_attempt(
                &provider_id,
                &target.model,
                error.kind(),
                Some(status.as_u16()),
                ms,
            );
            if status == StatusCode::TOO_MANY_REQUESTS {
                state.health.failure(&provider_id, &error.to_string(), true);
            } else if status.is_server_error() {
                state
                    .health
                    .failure(&provider_id, &error.to_string(), false);
            }
            crate::observe::note(|p| {
                p.record.provider = Some(provider_id.clone());
                p.record.upstream_model = Some(target.model.clone());
            });
            let Some(wait) = retry_delay(&error, retry as u32, plan.backoff) else {
                return Err(error);
            };
            tracing::info!(provider = %provider_id, model = %target.model, attempt, "attempt failed: {error}");
            last_error = Some(error);
            let more_here = retry + 1 < attempts_per_target;
            if more_here && wait <= plan.max_retry_wait {
                tokio::time::sleep(wait).await;
            } else if more_here && more_targets {
                break; // the upstream asks for a longer pause than we accept: try the next target
            } else if more_here {
                return Err(last_error
                    .take()
                    .unwrap_or_else(|| GatewayError::Internal("no attempt made".into())));
            }
        }
    }
    drop(spare);
    Err(last_error.unwrap_or_else(|| GatewayError::Internal("no provider was tried".into())))
}

fn note_attempt(provider: &str, model: &str, outcome: &str, status: Option<u16>, ms: f64) {
    crate::observe::note(|p| {
        p.record.attempts.push(crate::observe::Attempt {
            provider: provider.to_owned(),
            model: model.to_owned(),
            outcome: outcome.to_owned(),
            status,
            ms,
        })
    });
}

/// How long to wait before trying again after `error`, or `None` when it is not worth retrying.
fn retry_delay(error: &GatewayError, retry: u32, backoff: Duration) -> Option<Duration> {
    let exponential = backoff.saturating_mul(1 << retry.min(6));
    let jittered = exponential.mul_f64(0.75 + fastrand::f64() * 0.5);
    match error {
        GatewayError::Upstream(u) => match u.as_ref() {
            UpstreamError::Connect { .. }
            | UpstreamError::Timeout { .. }
            | UpstreamError::Protocol { .. } => Some(jittered),
            UpstreamError::Status {
                status, headers, ..
            } if *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
                Some(retry_after(headers).unwrap_or(jittered))
            }
            UpstreamError::Status { .. } => None,
        },
        GatewayError::MockFault {
            status,
            retry_after_secs,
            ..
        } if *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
            Some(retry_after_secs.map_or(jittered, Duration::from_secs))
        }
        _ => None,
    }
}

/// `retry-after-ms` (milliseconds) or `retry-after` (seconds) from an upstream answer.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    number("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .or_else(|| number("retry-after").map(Duration::from_secs_f64))
}
