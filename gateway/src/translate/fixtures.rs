//! Data-driven tests of every translation: one JSON file per case under
//! `gateway/tests/fixtures/translate/<direction>/`, holding the input and the expected output.
//!
//! Run with `SWITCHBOARD_BLESS=1` to write the current output into the files' `expected` fields
//! (then review the diff: a fixture is only as good as the reading it got).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::stream::translate_all;
use super::*;

fn dir(direction: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/translate")
        .join(direction)
}

/// Runs `run` on every fixture of `direction` and compares with (or blesses) `expected`.
fn check(direction: &str, run: impl Fn(&Value) -> Value) {
    let bless = std::env::var_os("SWITCHBOARD_BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir(direction))
        .unwrap_or_else(|e| panic!("{direction}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{direction} has no fixtures");
    let mut failures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        let mut case: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file:?} is not JSON: {e}"));
        let actual = run(&case);
        if bless {
            case["expected"] = actual;
            let pretty = serde_json::to_string_pretty(&case).unwrap_or_default() + "\n";
            std::fs::write(&file, pretty).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        } else if case["expected"] != actual {
            failures.push(format!(
                "{}\n--- expected\n{}\n--- actual\n{}",
                file.display(),
                serde_json::to_string_pretty(&case["expected"]).unwrap_or_default(),
                serde_json::to_string_pretty(&actual).unwrap_or_default()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn error_value(e: &crate::error::GatewayError) -> Value {
    let o = e.error_object();
    json!({ "error": { "message": o["message"], "param": o["param"] } })
}

fn events_in(case: &Value) -> Vec<SseEvent> {
    case["input"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| match e {
            Value::String(s) => SseEvent::data(s.clone()),
            Value::Object(o) if o.contains_key("event") => SseEvent::named(
                o.get("event").and_then(Value::as_str).unwrap_or(""),
                o.get("data").map(Value::to_string).unwrap_or_default(),
            ),
            other => SseEvent::data(other.to_string()),
        })
        .collect()
}

fn emits_out(emits: Vec<Emit>) -> Value {
    Value::Array(
        emits
            .into_iter()
            .map(|e| match e {
                Emit::Named(name, data) => json!({ "event": name, "data": data }),
                Emit::Data(data) => data,
                Emit::Done => json!("[DONE]"),
            })
            .collect(),
    )
}

#[test]
fn anthropic_request_to_chat() {
    check("anthropic_request_to_chat", |case| {
        let body = case["input"].to_string();
        match crate::wire::typed::<anthropic_in::MessagesRequest>(body.as_bytes()) {
            Ok(req) => Value::Object(anthropic_in::to_chat(&req)),
            Err(e) => error_value(&e),
        }
    });
}

#[test]
fn chat_request_to_anthropic() {
    check("chat_request_to_anthropic", |case| {
        let raw = case["input"].as_object().cloned().unwrap_or_default();
        let model = case["model"].as_str().unwrap_or("claude-test");
        match anthropic_out::from_chat(&raw, model) {
            Ok(plan) => json!({ "body": plan.body, "json_tool": plan.json_tool }),
            Err(e) => error_value(&e),
        }
    });
}

#[test]
fn responses_request_to_chat() {
    check("responses_request_to_chat", |case| {
        let body = case["input"].to_string();
        let target = if case["target"] == "chat" {
            responses_in::Target::Chat
        } else {
            responses_in::Target::Responses
        };
        let translated = crate::wire::typed::<responses_in::ResponsesRequest>(body.as_bytes())
            .and_then(|req| responses_in::to_chat(&req, target));
        match translated {
            Ok(t) => {
                json!({ "body": t.body, "custom_tools": t.custom_tools, "namespaces": t.namespaces })
            }
            Err(e) => error_value(&e),
        }
    });
}

#[test]
fn chat_to_anthropic_message() {
    check("chat_to_anthropic_message", |case| {
        anthropic_reply::chat_to_message(&case["input"], case["model"].as_str().unwrap_or("m"))
    });
}

#[test]
fn anthropic_message_to_chat() {
    check("anthropic_message_to_chat", |case| {
        let json_tool = case["json_tool"].as_bool().unwrap_or(false);
        anthropic_reply::message_to_chat(&case["input"], 1_700_000_000, json_tool)
    });
}

fn echo_of(case: &Value) -> responses_reply::Echo {
    let raw = case["request"].as_object().cloned().unwrap_or_default();
    let custom = case["custom_tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let namespaces = case["namespaces"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
        .collect();
    responses_reply::Echo::of(&raw, custom, namespaces)
}

#[test]
fn chat_to_response() {
    check("chat_to_response", |case| {
        responses_reply::chat_to_response(&case["input"], &echo_of(case))
    });
}

#[test]
fn chat_stream_to_anthropic() {
    check("chat_stream_to_anthropic", |case| {
        let model = case["model"].as_str().unwrap_or("m");
        emits_out(translate_all(
            anthropic_stream::ChatToAnthropic::new(model),
            &events_in(case),
        ))
    });
}

#[test]
fn anthropic_stream_to_chat() {
    check("anthropic_stream_to_chat", |case| {
        let t = anthropic_chunks::AnthropicToChat::new(
            1_700_000_000,
            case["include_usage"].as_bool().unwrap_or(false),
            case["json_tool"].as_bool().unwrap_or(false),
        );
        emits_out(translate_all(t, &events_in(case)))
    });
}

#[test]
fn chat_stream_to_responses() {
    check("chat_stream_to_responses", |case| {
        let t = responses_stream::ChatToResponses::new(echo_of(case));
        emits_out(translate_all(t, &events_in(case)))
    });
}

#[test]
fn chat_completion_as_stream() {
    check("chat_completion_as_stream", |case| {
        Value::Array(
            chunks_of(&case["input"])
                .into_iter()
                .map(|e| e.json().unwrap_or(Value::String(e.data)))
                .collect(),
        )
    });
}
