//! Legacy text completions (`/v1/completions`) from the mock provider.

use serde_json::{json, Value};

use super::text::{self, seed_of};
use super::{completion_id, tokens, Frame};
use crate::config::MockModelConfig;
use crate::error::GatewayError;
use crate::wire::{CompletionRequest, TextOrTokens};

struct Out {
    index: usize,
    text: String,
    finish: &'static str,
    tokens: u32,
}

/// The prompts of a request as text; token-id prompts are decoded.
pub fn prompts(prompt: &Option<TextOrTokens>) -> Result<Vec<String>, GatewayError> {
    let bad = || {
        GatewayError::invalid(
            "'prompt' holds a token id outside the vocabulary",
            Some("prompt".into()),
        )
    };
    Ok(match prompt {
        None => vec![String::new()],
        Some(TextOrTokens::Text(s)) => vec![s.clone()],
        Some(TextOrTokens::Texts(v)) if v.is_empty() => vec![String::new()],
        Some(TextOrTokens::Texts(v)) => v.clone(),
        Some(TextOrTokens::Tokens(ids)) => vec![tokens::decode(ids).ok_or_else(bad)?],
        Some(TextOrTokens::TokenLists(lists)) => lists
            .iter()
            .map(|ids| tokens::decode(ids).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
    })
}

fn outputs(
    model: &MockModelConfig,
    req: &CompletionRequest,
) -> Result<(Vec<Out>, u32), GatewayError> {
    let prompts = prompts(&req.prompt)?;
    let n = req.n.unwrap_or(1) as usize;
    let stop = req.stop.clone().map(|s| s.into_vec()).unwrap_or_default();
    let mut outs = Vec::with_capacity(prompts.len() * n);
    let mut prompt_tokens = 0;
    for (pi, prompt) in prompts.iter().enumerate() {
        prompt_tokens += tokens::count(prompt);
        for c in 0..n {
            let mut generated =
                text::continuation(seed_of([model.id.as_str(), prompt, &c.to_string()]));
            let cut = stop
                .iter()
                .filter(|s| !s.is_empty())
                .filter_map(|s| generated.find(s.as_str()))
                .min();
            if let Some(at) = cut {
                generated.truncate(at);
            }
            let limit = req.max_tokens.unwrap_or(u32::MAX);
            let (kept, used) = tokens::truncate(&generated, limit);
            let finish = if kept.len() < generated.len() {
                "length"
            } else {
                "stop"
            };
            let text = if req.echo.unwrap_or(false) {
                format!("{prompt}{kept}")
            } else {
                kept
            };
            outs.push(Out {
                index: pi * n + c,
                text,
                finish,
                tokens: used,
            });
        }
    }
    Ok((outs, prompt_tokens))
}

fn usage(prompt: u32, completion: u32) -> Value {
    json!({ "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion })
}

pub fn complete(model: &MockModelConfig, req: &CompletionRequest) -> Result<Value, GatewayError> {
    let (outs, prompt_tokens) = outputs(model, req)?;
    let completion: u32 = outs.iter().map(|o| o.tokens).sum();
    let choices: Vec<Value> = outs
        .iter()
        .map(|o| json!({ "text": o.text, "index": o.index, "logprobs": null, "finish_reason": o.finish }))
        .collect();
    Ok(json!({
        "id": completion_id("cmpl"),
        "object": "text_completion",
        "created": super::super::unix_now(),
        "model": model.id,
        "system_fingerprint": "fp_switchboard_mock",
        "choices": choices,
        "usage": usage(prompt_tokens, completion),
    }))
}

pub fn stream_frames(
    model: &MockModelConfig,
    req: &CompletionRequest,
) -> Result<Vec<Frame>, GatewayError> {
    let (outs, prompt_tokens) = outputs(model, req)?;
    let include_usage = req
        .stream_options
        .and_then(|o| o.include_usage)
        .unwrap_or(false);
    let id = completion_id("cmpl");
    let created = super::super::unix_now();
    let chunk = |choices: Value| {
        let mut c = json!({ "id": id, "object": "text_completion", "created": created, "model": model.id, "choices": choices });
        if include_usage {
            c["usage"] = Value::Null;
        }
        c
    };
    let pieces: Vec<Vec<(String, u32)>> = outs.iter().map(|o| tokens::pieces(&o.text)).collect();
    let longest = pieces.iter().map(Vec::len).max().unwrap_or(0);
    let mut frames = Vec::new();
    for step in 0..longest {
        for (o, ps) in outs.iter().zip(&pieces) {
            if let Some((p, _)) = ps.get(step) {
                let choice = json!([{ "text": p, "index": o.index, "logprobs": null, "finish_reason": null }]);
                frames.push(Frame::token(&chunk(choice)));
            }
        }
    }
    for o in &outs {
        let choice =
            json!([{ "text": "", "index": o.index, "logprobs": null, "finish_reason": o.finish }]);
        frames.push(Frame::instant(&chunk(choice)));
    }
    if include_usage {
        let mut last = chunk(json!([]));
        last["usage"] = usage(prompt_tokens, outs.iter().map(|o| o.tokens).sum());
        frames.push(Frame::instant(&last));
    }
    Ok(frames)
}
