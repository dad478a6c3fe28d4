//! Chat completions from the mock provider: plain text, reasoning, tool calls and structured output,
//! as one JSON body or as a token-by-token stream of `chat.completion.chunk` events.

use serde_json::{json, Map, Value};

use super::schema::instance_for;
use super::text::{self, seed_of};
use super::tokens;
use super::{completion_id, Frame};
use crate::config::{MockModelConfig, MockModelKind, ReasoningFormat};
use crate::error::GatewayError;
use crate::wire::{ChatRequest, ResponseFormat, Role, ToolChoice, ToolChoiceMode};

const FINGERPRINT: &str = "fp_switchboard_mock";

/// What one choice says, before it is rendered as a body or a stream.
struct ChoiceOut {
    reasoning: Option<String>,
    content: Option<String>,
    tool_call: Option<(String, String, String)>,
    finish: &'static str,
}

impl ChoiceOut {
    fn completion_tokens(&self) -> (u32, u32) {
        let reasoning = self.reasoning.as_deref().map_or(0, tokens::count);
        let content = self.content.as_deref().map_or(0, tokens::count);
        let tool = self.tool_call.as_ref().map_or(0, |(_, name, args)| {
            tokens::count(name) + tokens::count(args)
        });
        (reasoning + content + tool, reasoning)
    }
}

/// Token count of the prompt, following OpenAI's accounting for chat formats (3 tokens of framing per
/// message, 3 to prime the reply) plus the tool definitions.
fn prompt_tokens(req: &ChatRequest, raw: &Map<String, Value>) -> u32 {
    let mut total = 3;
    for m in &req.messages {
        total += 3;
        if let Some(c) = &m.content {
            total += tokens::count(&c.text());
        }
        if let Some(name) = &m.name {
            total += 1 + tokens::count(name);
        }
        for call in m.tool_calls.iter().flatten() {
            total += tokens::count(&call.function.name)
                + call.function.arguments.as_deref().map_or(0, tokens::count);
        }
    }
    if let Some(tools) = raw.get("tools") {
        total += tokens::count(&tools.to_string());
    }
    total
}

fn last_user_text(req: &ChatRequest) -> String {
    req.messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .and_then(|m| m.content.as_ref())
        .map(|c| c.text())
        .unwrap_or_default()
}

/// Words of an identifier such as `get_current_weather` or `getWeather`.
fn identifier_words(name: &str) -> Vec<String> {
    let mut spaced = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            spaced.push(' ');
        }
        spaced.push(c);
    }
    super::embed::words(&spaced.replace(['_', '-', '.'], " "))
}

/// The tool to call, if the request calls for one.
fn chosen_tool<'a>(req: &'a ChatRequest, last_user: &str) -> Option<&'a crate::wire::FunctionDef> {
    let functions: Vec<&crate::wire::FunctionDef> = req
        .tools
        .iter()
        .flatten()
        .filter(|t| t.kind == "function")
        .filter_map(|t| t.function.as_ref())
        .collect();
    if functions.is_empty() {
        return None;
    }
    // Once the conversation ends in a tool result, the model answers in text.
    if req
        .messages
        .last()
        .is_some_and(|m| matches!(m.role, Role::Tool | Role::Function))
    {
        return None;
    }
    let user_words = super::embed::words(last_user);
    let score = |f: &crate::wire::FunctionDef| {
        let mut words = identifier_words(&f.name);
        words.extend(super::embed::words(f.description.as_deref().unwrap_or("")));
        words
            .iter()
            .filter(|w| w.len() > 2 && user_words.contains(w))
            .count()
    };
    let best = functions.iter().copied().max_by_key(|f| score(f));
    match &req.tool_choice {
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => None,
        Some(ToolChoice::Named(named)) => functions
            .into_iter()
            .find(|f| f.name == named.function.name),
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => best,
        Some(ToolChoice::Mode(ToolChoiceMode::Auto)) | None => best.filter(|f| score(f) > 0),
    }
}

/// The text answer after a tool result: names the tool whose call the result answers.
fn tool_result_answer(req: &ChatRequest) -> Option<String> {
    let last = req
        .messages
        .last()
        .filter(|m| matches!(m.role, Role::Tool | Role::Function))?;
    if last.role == Role::Function {
        let result = last.content.as_ref().map(|c| c.text()).unwrap_or_default();
        return Some(text::after_tool(
            last.name.as_deref().unwrap_or("requested"),
            &result,
        ));
    }
    let id = last.tool_call_id.as_deref().unwrap_or_default();
    let name = req
        .messages
        .iter()
        .flat_map(|m| m.tool_calls.iter().flatten())
        .find(|c| c.id.as_deref() == Some(id))
        .map_or("requested", |c| c.function.name.as_str());
    let result = last.content.as_ref().map(|c| c.text()).unwrap_or_default();
    Some(text::after_tool(name, &result))
}

/// Older clients send `functions` / `function_call` instead of `tools` / `tool_choice`: they are
/// answered the same way, then rendered back in the old shape. Returns the request in the new form and
/// whether the old one was used.
fn modernize(req: &ChatRequest) -> (std::borrow::Cow<'_, ChatRequest>, bool) {
    let Some(functions) = req.functions.as_ref().filter(|_| req.tools.is_none()) else {
        return (std::borrow::Cow::Borrowed(req), false);
    };
    let mut modern = req.clone();
    modern.tools = Some(
        functions
            .iter()
            .map(|f| crate::wire::Tool {
                kind: "function".into(),
                function: Some(f.clone()),
            })
            .collect(),
    );
    modern.tool_choice = match &req.function_call {
        Some(Value::String(s)) if s == "none" => Some(ToolChoice::Mode(ToolChoiceMode::None)),
        Some(Value::Object(o)) => o.get("name").and_then(Value::as_str).map(|name| {
            ToolChoice::Named(crate::wire::NamedToolChoice {
                kind: "function".into(),
                function: crate::wire::NamedFunction {
                    name: name.to_owned(),
                },
            })
        }),
        _ => None,
    };
    (std::borrow::Cow::Owned(modern), true)
}

/// The old API finishes a function call with `function_call`, not `tool_calls`.
fn legacy_finish(finish: &'static str, legacy: bool) -> &'static str {
    if legacy && finish == "tool_calls" {
        "function_call"
    } else {
        finish
    }
}

/// Cuts `content` before the first stop sequence; true when one was found.
fn apply_stop(content: &mut String, stop: &[String]) -> bool {
    let cut = stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| content.find(s.as_str()))
        .min();
    match cut {
        Some(at) => {
            content.truncate(at);
            true
        }
        None => false,
    }
}

fn choice_out(
    model: &MockModelConfig,
    req: &ChatRequest,
    index: u32,
    conversation_seed: u64,
) -> ChoiceOut {
    let seed = seed_of([
        model.id.as_str(),
        &conversation_seed.to_string(),
        &index.to_string(),
    ]);
    let last_user = last_user_text(req);
    let reasoning =
        (model.kind == MockModelKind::Reasoning).then(|| text::reasoning(seed, &last_user));
    let mut budget = req
        .max_completion_tokens
        .or(req.max_tokens)
        .unwrap_or(u32::MAX);

    let mut out = ChoiceOut {
        reasoning: None,
        content: None,
        tool_call: None,
        finish: "stop",
    };
    // Reasoning comes first and spends the budget first (as `max_completion_tokens` documents).
    let mut reasoning_field = None;
    let mut think_prefix = String::new();
    if let Some(r) = reasoning {
        match model.reasoning {
            ReasoningFormat::Field => {
                let (cut, used) = tokens::truncate(&r, budget);
                if cut.len() < r.len() {
                    out.finish = "length";
                }
                budget -= used;
                reasoning_field = Some(cut);
            }
            ReasoningFormat::ThinkTags => think_prefix = format!("<think>\n{r}\n</think>\n\n"),
        }
    }
    out.reasoning = reasoning_field;
    if out.finish == "length" {
        out.content = Some(String::new());
        return out;
    }

    if let Some(f) = chosen_tool(req, &last_user) {
        let schema = f
            .parameters
            .clone()
            .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
        let args = instance_for(&schema, seed, &last_user).to_string();
        let (cut, _) = tokens::truncate(&args, budget.saturating_sub(tokens::count(&f.name)));
        out.finish = if cut.len() < args.len() {
            "length"
        } else {
            "tool_calls"
        };
        let id = format!("call_{:024x}", u128::from(seed) << 32 | u128::from(index));
        out.tool_call = Some((id, f.name.clone(), cut));
        if !think_prefix.is_empty() {
            out.content = Some(think_prefix);
        }
        return out;
    }

    let mut content = match (tool_result_answer(req), &req.response_format) {
        (Some(answer), _) => answer,
        (None, Some(ResponseFormat::JsonObject)) => {
            json!({ "answer": text::reply(seed, &last_user) }).to_string()
        }
        (None, Some(ResponseFormat::JsonSchema { json_schema })) => {
            let schema = json_schema.schema.clone().unwrap_or(Value::Bool(true));
            instance_for(&schema, seed, &last_user).to_string()
        }
        _ => text::reply(seed, &last_user),
    };
    content.insert_str(0, &think_prefix);
    let stop = req.stop.clone().map(|s| s.into_vec()).unwrap_or_default();
    apply_stop(&mut content, &stop);
    let (cut, _) = tokens::truncate(&content, budget);
    if cut.len() < content.len() {
        out.finish = "length";
    }
    out.content = Some(cut);
    out
}

fn usage(prompt: u32, completion: u32, reasoning: u32) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": { "cached_tokens": 0, "audio_tokens": 0 },
        "completion_tokens_details": {
            "reasoning_tokens": reasoning, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
        },
    })
}

fn choices_for(
    model: &MockModelConfig,
    req: &ChatRequest,
    raw: &Map<String, Value>,
) -> Vec<ChoiceOut> {
    let conversation = Value::Array(raw.get("messages").cloned().into_iter().collect()).to_string();
    let format = raw
        .get("response_format")
        .map(Value::to_string)
        .unwrap_or_default();
    let tools = raw.get("tools").map(Value::to_string).unwrap_or_default();
    let conversation_seed = seed_of([conversation.as_str(), &format, &tools]);
    (0..req.n.unwrap_or(1))
        .map(|i| choice_out(model, req, i, conversation_seed))
        .collect()
}

/// The whole answer as one `chat.completion` body.
pub fn complete(model: &MockModelConfig, req: &ChatRequest, raw: &Map<String, Value>) -> Value {
    let (req, legacy) = modernize(req);
    let req = req.as_ref();
    let outs = choices_for(model, req, raw);
    let (mut completion, mut reasoning) = (0, 0);
    let choices: Vec<Value> = outs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let (c, r) = o.completion_tokens();
            completion += c;
            reasoning += r;
            let mut message = json!({ "role": "assistant", "content": o.content, "refusal": null });
            if let Some(r) = &o.reasoning {
                message["reasoning_content"] = json!(r);
            }
            if let Some((id, name, args)) = &o.tool_call {
                if legacy {
                    message["function_call"] = json!({ "name": name, "arguments": args });
                } else {
                    message["tool_calls"] = json!([{
                        "id": id, "type": "function", "function": { "name": name, "arguments": args },
                    }]);
                }
            }
            let logprobs = match req.logprobs {
                Some(true) => super::logprobs::for_content(
                    o.content.as_deref().unwrap_or(""),
                    req.top_logprobs.unwrap_or(0),
                ),
                _ => Value::Null,
            };
            json!({ "index": i, "message": message, "logprobs": logprobs, "finish_reason": legacy_finish(o.finish, legacy) })
        })
        .collect();
    json!({
        "id": completion_id("chatcmpl"),
        "object": "chat.completion",
        "created": super::super::unix_now(),
        "model": model.id,
        "system_fingerprint": FINGERPRINT,
        "choices": choices,
        "usage": usage(prompt_tokens(req, raw), completion, reasoning),
        "service_tier": "default",
    })
}

/// The answer as stream frames: role, reasoning and content pieces, tool-call fragments, the finish
/// chunk per choice, the usage chunk when asked for. `[DONE]` is added by the caller.
pub fn stream_frames(
    model: &MockModelConfig,
    req: &ChatRequest,
    raw: &Map<String, Value>,
) -> Result<Vec<Frame>, GatewayError> {
    let (req, legacy) = modernize(req);
    let req = req.as_ref();
    let outs = choices_for(model, req, raw);
    let include_usage = req
        .stream_options
        .and_then(|o| o.include_usage)
        .unwrap_or(false);
    let id = completion_id("chatcmpl");
    let created = super::super::unix_now();
    let chunk = |choices: Value| {
        let mut c = json!({
            "id": id, "object": "chat.completion.chunk", "created": created,
            "model": model.id, "system_fingerprint": FINGERPRINT, "choices": choices,
        });
        if include_usage {
            c["usage"] = Value::Null;
        }
        c
    };
    let delta_choice = |i: usize, delta: Value, logprobs: Value| json!([{ "index": i, "delta": delta, "logprobs": logprobs, "finish_reason": null }]);
    let top = req.top_logprobs.unwrap_or(0);
    let with_logprobs = req.logprobs == Some(true);

    // Per choice, its deltas in order (each with the logprobs of its content token, when asked for);
    // then the choices are interleaved token by token.
    let mut per_choice: Vec<Vec<(Value, Value)>> = Vec::with_capacity(outs.len());
    for o in &outs {
        let mut deltas = vec![(
            json!({ "role": "assistant", "content": if o.tool_call.is_some() && o.content.is_none() { Value::Null } else { json!("") } }),
            Value::Null,
        )];
        if let Some(r) = &o.reasoning {
            deltas.extend(
                tokens::pieces(r)
                    .into_iter()
                    .map(|(p, _)| (json!({ "reasoning_content": p }), Value::Null)),
            );
        }
        if let Some(c) = &o.content {
            deltas.extend(tokens::pieces(c).into_iter().enumerate().map(|(n, (p, _))| {
                let lp = if with_logprobs {
                    json!({ "content": [super::logprobs::entry(&p, n, top)], "refusal": null })
                } else {
                    Value::Null
                };
                (json!({ "content": p }), lp)
            }));
        }
        if let (Some((_, name, args)), true) = (&o.tool_call, legacy) {
            deltas.push((
                json!({ "function_call": { "name": name, "arguments": "" } }),
                Value::Null,
            ));
            deltas.extend(
                tokens::pieces(args)
                    .into_iter()
                    .map(|(p, _)| (json!({ "function_call": { "arguments": p } }), Value::Null)),
            );
        } else if let Some((call_id, name, args)) = &o.tool_call {
            deltas.push((
                json!({ "tool_calls": [{
                    "index": 0, "id": call_id, "type": "function", "function": { "name": name, "arguments": "" },
                }]}),
                Value::Null,
            ));
            deltas.extend(tokens::pieces(args).into_iter().map(|(p, _)| {
                (
                    json!({ "tool_calls": [{ "index": 0, "function": { "arguments": p } }] }),
                    Value::Null,
                )
            }));
        }
        per_choice.push(deltas);
    }
    let mut frames = Vec::new();
    let longest = per_choice.iter().map(Vec::len).max().unwrap_or(0);
    for step in 0..longest {
        for (i, deltas) in per_choice.iter().enumerate() {
            if let Some((d, lp)) = deltas.get(step) {
                frames.push(Frame::token(&chunk(delta_choice(i, d.clone(), lp.clone()))));
            }
        }
    }
    for (i, o) in outs.iter().enumerate() {
        let finish = json!([{ "index": i, "delta": {}, "logprobs": null, "finish_reason": legacy_finish(o.finish, legacy) }]);
        frames.push(Frame::instant(&chunk(finish)));
    }
    if include_usage {
        let (mut completion, mut reasoning) = (0, 0);
        for o in &outs {
            let (c, r) = o.completion_tokens();
            completion += c;
            reasoning += r;
        }
        let mut last = chunk(json!([]));
        last["usage"] = usage(prompt_tokens(req, raw), completion, reasoning);
        frames.push(Frame::instant(&last));
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{parse_object, typed};

    fn model(kind: MockModelKind, reasoning: ReasoningFormat) -> MockModelConfig {
        MockModelConfig {
            id: "m".into(),
            kind,
            owned_by: "t".into(),
            ttft: std::time::Duration::ZERO,
            tokens_per_second: 0.0,
            reasoning,
            error_rate: 0.0,
        }
    }

    fn run(body: &str, m: &MockModelConfig) -> Value {
        let raw = parse_object(body.as_bytes()).unwrap_or_default();
        let req: ChatRequest = typed(body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        complete(m, &req, &raw)
    }

    #[test]
    fn max_tokens_truncates_and_reports_length() {
        let m = model(MockModelKind::Chat, ReasoningFormat::Field);
        let v = run(
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5}"#,
            &m,
        );
        assert_eq!(v["choices"][0]["finish_reason"], "length");
        assert_eq!(v["usage"]["completion_tokens"], 5);
    }

    #[test]
    fn think_tags_put_reasoning_in_content() {
        let m = model(MockModelKind::Reasoning, ReasoningFormat::ThinkTags);
        let v = run(
            r#"{"model":"m","messages":[{"role":"user","content":"9.11 or 9.8?"}]}"#,
            &m,
        );
        let content = v["choices"][0]["message"]["content"].as_str().unwrap_or("");
        assert!(content.starts_with("<think>\n"), "{content}");
        assert!(v["choices"][0]["message"]
            .get("reasoning_content")
            .is_none());
    }

    #[test]
    fn stop_sequences_cut_the_reply() {
        let m = model(MockModelKind::Chat, ReasoningFormat::Field);
        let full = run(
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#,
            &m,
        );
        let text = full["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let word = text.split(' ').nth(3).unwrap_or("the").to_owned();
        let body = json!({"model":"m","messages":[{"role":"user","content":"hi"}],"stop":[word]})
            .to_string();
        let cut = run(&body, &m);
        let cut_text = cut["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or("");
        assert!(
            !cut_text.contains(&word) && text.starts_with(cut_text),
            "{cut_text}"
        );
        assert_eq!(cut["choices"][0]["finish_reason"], "stop");
    }

    #[test]
    fn auto_tool_choice_calls_the_matching_tool_only() {
        let m = model(MockModelKind::Chat, ReasoningFormat::Field);
        let tools = r#"[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]"#;
        let asks = run(
            &format!(
                r#"{{"model":"m","messages":[{{"role":"user","content":"What is the weather in Paris?"}}],"tools":{tools}}}"#
            ),
            &m,
        );
        assert_eq!(asks["choices"][0]["finish_reason"], "tool_calls");
        let args = asks["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
            .as_str()
            .unwrap_or("");
        let parsed: Value = serde_json::from_str(args).unwrap_or(Value::Null);
        assert!(parsed["city"].is_string(), "{args}");
        let chat = run(
            &format!(
                r#"{{"model":"m","messages":[{{"role":"user","content":"Tell me a joke"}}],"tools":{tools}}}"#
            ),
            &m,
        );
        assert_eq!(chat["choices"][0]["finish_reason"], "stop");
    }
}
