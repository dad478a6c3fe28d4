//! The Anthropic Messages and Responses front doors (and Cursor's Responses-shaped chat bodies),
//! end to end over loopback: against the mock provider (translated), through an OpenAI-compatible
//! upstream (translated, then forwarded), and passed through to an upstream that speaks the API.

use serde_json::{json, Value};

use crate::support::*;

mod upstreams;

/// `(event name, data)` of a named-event stream; asserts every event has both lines, agreeing.
pub fn named_events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut name = None;
            let mut data = None;
            for line in e.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(
                        serde_json::from_str::<Value>(d)
                            .unwrap_or_else(|err| panic!("bad data {d}: {err}")),
                    );
                }
            }
            let name = name.unwrap_or_else(|| panic!("event without a name: {e}"));
            let data = data.unwrap_or_else(|| panic!("event without data: {e}"));
            assert_eq!(
                data["type"],
                name.as_str(),
                "event name and type differ: {e}"
            );
            (name, data)
        })
        .collect()
}

async fn post(
    url: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut r = client().post(url).json(body);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap_or_default())
}

pub(super) fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

pub(super) const CLAUDE_HEADERS: &[(&str, &str)] = &[
    ("x-api-key", "dummy"),
    ("anthropic-version", "2023-06-01"),
    (
        "anthropic-beta",
        "claude-code-20250219,interleaved-thinking-2025-05-14",
    ),
];

pub(super) fn weather_tool() -> Value {
    json!({"name": "get_weather", "description": "Get the current weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}})
}

#[tokio::test]
async fn messages_answer_in_the_anthropic_shape_with_the_beta_query() {
    let gw = mock_gateway().await;
    let url = format!("{}/messages?beta=true", gw.base_url());
    let body = json!({"model": "mock-gpt-3.5-turbo", "max_tokens": 200, "system": "Be brief.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello there"}]}]});
    let (status, headers, text) = post(&url, &body, CLAUDE_HEADERS).await;
    assert_eq!(status, 200, "{text}");
    assert!(headers["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("application/json"));
    let v = parse(&text);
    assert!(v["id"].as_str().unwrap_or("").starts_with("msg_"), "{v}");
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["model"], "mock-gpt-3.5-turbo");
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["content"][0]["type"], "text");
    assert!(
        v["content"][0]["text"]
            .as_str()
            .unwrap_or("")
            .contains("hello there"),
        "{v}"
    );
    assert!(v["usage"]["input_tokens"].as_u64().unwrap_or(0) > 0);
    assert!(v["usage"]["output_tokens"].as_u64().unwrap_or(0) > 0);
}

#[tokio::test]
async fn a_messages_stream_is_the_exact_named_event_sequence() {
    let gw = mock_gateway().await;
    let body = json!({"model": "mock-gpt-3.5-turbo", "max_tokens": 200, "stream": true,
        "messages": [{"role": "user", "content": "stream please"}]});
    let (status, headers, text) = post(
        &format!("{}/messages", gw.base_url()),
        &body,
        CLAUDE_HEADERS,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(headers["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/event-stream"));
    assert!(!text.contains("[DONE]"), "Anthropic streams have no [DONE]");
    let events = named_events(&text);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        &names[..3],
        ["message_start", "ping", "content_block_start"]
    );
    assert_eq!(
        &names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert!(
        names[3..names.len() - 3]
            .iter()
            .all(|n| *n == "content_block_delta"),
        "{names:?}"
    );
    let start = &events[0].1["message"];
    assert_eq!(start["content"], json!([]));
    assert_eq!(start["role"], "assistant");
    let streamed: String = events
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| {
            assert_eq!(d["delta"]["type"], "text_delta");
            assert_eq!(d["index"], 0);
            d["delta"]["text"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    assert!(streamed.contains("stream please"), "{streamed}");
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert!(
        delta["usage"]["output_tokens"].as_u64().unwrap_or(0) > 0,
        "{delta}"
    );
    assert!(
        delta["usage"]["input_tokens"].as_u64().unwrap_or(0) > 0,
        "{delta}"
    );
}

#[tokio::test]
async fn streamed_tool_use_carries_input_that_validates() {
    let gw = mock_gateway().await;
    let body = json!({"model": "mock-gpt-3.5-turbo", "max_tokens": 300, "stream": true,
        "tools": [weather_tool()], "tool_choice": {"type": "any"},
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}]});
    let (status, _, text) = post(&format!("{}/messages", gw.base_url()), &body, &[]).await;
    assert_eq!(status, 200, "{text}");
    let events = named_events(&text);
    let start = events
        .iter()
        .find(|(n, d)| n == "content_block_start" && d["content_block"]["type"] == "tool_use")
        .map(|(_, d)| d.clone())
        .unwrap_or_else(|| panic!("no tool_use block: {text}"));
    assert_eq!(start["content_block"]["name"], "get_weather");
    assert_eq!(start["content_block"]["input"], json!({}));
    let index = start["index"].clone();
    let json_text: String = events
        .iter()
        .filter(|(n, d)| n == "content_block_delta" && d["index"] == index)
        .map(|(_, d)| {
            assert_eq!(d["delta"]["type"], "input_json_delta");
            d["delta"]["partial_json"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    let input: Value = serde_json::from_str(&json_text).unwrap_or(Value::Null);
    assert!(input["city"].is_string(), "{json_text}");
    // Blocks open and close in order, each closed before the next opens.
    let mut open: Option<u64> = None;
    let mut next = 0;
    for (n, d) in &events {
        match n.as_str() {
            "content_block_start" => {
                assert!(open.is_none(), "a block opened before the previous closed");
                assert_eq!(d["index"], next);
                open = d["index"].as_u64();
                next += 1;
            }
            "content_block_stop" => assert_eq!(open.take(), d["index"].as_u64()),
            _ => {}
        }
    }
    let delta = events
        .iter()
        .find(|(n, _)| n == "message_delta")
        .map(|(_, d)| d.clone());
    assert_eq!(
        delta.map(|d| d["delta"]["stop_reason"].clone()),
        Some(json!("tool_use"))
    );
}

#[tokio::test]
async fn a_tool_result_turn_gets_the_final_answer() {
    let gw = mock_gateway().await;
    let body = json!({"model": "mock-gpt-3.5-turbo", "max_tokens": 300, "tools": [weather_tool()],
        "messages": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18 degrees and sunny"}]}]});
    let (status, _, text) = post(&format!("{}/messages", gw.base_url()), &body, &[]).await;
    assert_eq!(status, 200, "{text}");
    let v = parse(&text);
    assert_eq!(v["stop_reason"], "end_turn");
    let answer = v["content"][0]["text"].as_str().unwrap_or("");
    assert!(
        answer.contains("get_weather") && answer.contains("18 degrees"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_reasoning_model_streams_a_thinking_block_before_the_text() {
    let gw = mock_gateway().await;
    let body = json!({"model": "deepseek-reasoner", "max_tokens": 400, "stream": true,
        "messages": [{"role": "user", "content": "9.11 or 9.8?"}]});
    let (_, _, text) = post(&format!("{}/messages", gw.base_url()), &body, &[]).await;
    let events = named_events(&text);
    let blocks: Vec<Value> = events
        .iter()
        .filter(|(n, _)| n == "content_block_start")
        .map(|(_, d)| d["content_block"]["type"].clone())
        .collect();
    assert_eq!(blocks, [json!("thinking"), json!("text")]);
    assert!(events
        .iter()
        .any(|(_, d)| d["delta"]["type"] == "thinking_delta" && d["index"] == 0));
}

#[tokio::test]
async fn messages_errors_use_the_anthropic_envelope() {
    let gw = mock_gateway().await;
    let url = format!("{}/messages", gw.base_url());
    let unknown =
        json!({"model": "nope", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]});
    let (status, _, text) = post(&url, &unknown, &[]).await;
    assert_eq!(status, 404);
    let v = parse(&text);
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "not_found_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("mock-gpt-3.5-turbo"),
        "{v}"
    );

    let r = client()
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    let v = parse(&r.text().await.unwrap_or_default());
    assert_eq!(v["error"]["type"], "invalid_request_error");

    let no_messages = json!({"model": "mock-gpt-3.5-turbo", "max_tokens": 5});
    let (status, _, text) = post(&url, &no_messages, &[]).await;
    assert_eq!(status, 400);
    assert!(parse(&text)["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("messages"));

    let ok = json!({"model": "mock-gpt-3.5-turbo", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]});
    let (status, headers, text) = post(&url, &ok, &[("x-mock-fault", "429")]).await;
    assert_eq!(status, 429);
    assert_eq!(parse(&text)["error"]["type"], "rate_limit_error");
    assert!(headers.contains_key("retry-after"), "retry-after is kept");
}

#[tokio::test]
async fn count_tokens_estimates_without_an_anthropic_upstream() {
    let gw = mock_gateway().await;
    let url = format!("{}/messages/count_tokens", gw.base_url());
    let short =
        json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "hi"}]});
    let long = json!({"model": "mock-gpt-3.5-turbo", "system": "You are a helpful assistant.",
        "tools": [weather_tool()],
        "messages": [{"role": "user", "content": "hi, tell me about the weather in three cities"}]});
    let (s1, _, t1) = post(&url, &short, CLAUDE_HEADERS).await;
    let (s2, _, t2) = post(&url, &long, CLAUDE_HEADERS).await;
    assert_eq!((s1, s2), (200, 200), "{t1} {t2}");
    let (a, b) = (
        parse(&t1)["input_tokens"].as_u64(),
        parse(&t2)["input_tokens"].as_u64(),
    );
    assert!(a.unwrap_or(0) > 0 && b > a, "{a:?} {b:?}");
}

#[tokio::test]
async fn responses_answer_with_output_items_and_usage() {
    let gw = mock_gateway().await;
    let body = json!({"model": "mock-gpt-3.5-turbo", "instructions": "Be brief.", "input": "hello responses"});
    let (status, v) = post_json(&format!("{}/responses", gw.base_url()), &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["object"], "response");
    assert_eq!(v["status"], "completed");
    assert!(v["id"].as_str().unwrap_or("").starts_with("resp_"));
    assert_eq!(v["instructions"], "Be brief.");
    assert_eq!(v["output"][0]["type"], "message");
    let text = v["output"][0]["content"][0]["text"].as_str().unwrap_or("");
    assert!(text.contains("hello responses"), "{v}");
    assert!(v["usage"]["input_tokens"].as_u64().unwrap_or(0) > 0);
    assert_eq!(
        v["usage"]["total_tokens"].as_u64(),
        Some(
            v["usage"]["input_tokens"].as_u64().unwrap_or(0)
                + v["usage"]["output_tokens"].as_u64().unwrap_or(0)
        )
    );
}

#[tokio::test]
async fn a_responses_stream_is_numbered_and_completes_with_usage() {
    let gw = mock_gateway().await;
    let body = json!({"model": "mock-gpt-3.5-turbo", "input": [{"role": "user", "content": [{"type": "input_text", "text": "stream it"}]}], "stream": true});
    let (status, _, text) = post(&format!("{}/responses", gw.base_url()), &body, &[]).await;
    assert_eq!(status, 200, "{text}");
    let events = named_events(&text);
    for (i, (_, d)) in events.iter().enumerate() {
        assert_eq!(
            d["sequence_number"], i,
            "sequence numbers count from 0: {d}"
        );
    }
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        &names[..4],
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added"
        ]
    );
    assert_eq!(
        &names[names.len() - 4..],
        [
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed"
        ]
    );
    let deltas: String = events
        .iter()
        .filter(|(n, _)| n == "response.output_text.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap_or("").to_owned())
        .collect();
    let done = &events[events.len() - 1].1["response"];
    assert_eq!(done["output"][0]["content"][0]["text"], deltas.as_str());
    assert!(
        done["usage"]["output_tokens"].as_u64().unwrap_or(0) > 0,
        "{done}"
    );
    assert_eq!(events[0].1["response"]["id"], done["id"]);
}

#[tokio::test]
async fn responses_function_calls_stream_and_round_trip() {
    let gw = mock_gateway().await;
    let url = format!("{}/responses", gw.base_url());
    let tools = json!([{"type": "function", "name": "get_weather", "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]);
    let body = json!({"model": "mock-gpt-3.5-turbo", "input": "weather in Oslo?", "tools": tools, "tool_choice": "required", "stream": true});
    let (_, _, text) = post(&url, &body, &[]).await;
    let events = named_events(&text);
    let args: String = events
        .iter()
        .filter(|(n, _)| n == "response.function_call_arguments.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap_or("").to_owned())
        .collect();
    let done = events
        .iter()
        .find(|(n, _)| n == "response.function_call_arguments.done")
        .map(|(_, d)| d.clone())
        .unwrap_or_else(|| panic!("no arguments.done: {text}"));
    assert_eq!(done["arguments"], args.as_str());
    assert_eq!(done["name"], "get_weather");
    let item = &events[events.len() - 1].1["response"]["output"][0];
    assert_eq!(item["type"], "function_call");
    let call_id = item["call_id"].as_str().unwrap_or("").to_owned();
    assert!(
        serde_json::from_str::<Value>(&args).is_ok_and(|a| a["city"].is_string()),
        "{args}"
    );

    let follow = json!({"model": "mock-gpt-3.5-turbo", "tools": tools, "input": [
        {"role": "user", "content": "weather in Oslo?"},
        {"type": "function_call", "call_id": call_id, "name": "get_weather", "arguments": args},
        {"type": "function_call_output", "call_id": call_id, "output": "minus two and snowing"}]});
    let (status, v) = post_json(&url, &follow).await;
    assert_eq!(status, 200, "{v}");
    let text = v["output"][0]["content"][0]["text"].as_str().unwrap_or("");
    assert!(
        text.contains("get_weather") && text.contains("minus two"),
        "{v}"
    );
}

#[tokio::test]
async fn responses_refuse_state_they_cannot_keep() {
    let gw = mock_gateway().await;
    let url = format!("{}/responses", gw.base_url());
    for (field, value) in [
        ("previous_response_id", json!("resp_123")),
        ("store", json!(true)),
    ] {
        let mut body = json!({"model": "mock-gpt-3.5-turbo", "input": "hi"});
        body[field] = value;
        let (status, v) = post_json(&url, &body).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(envelope(&v)["param"], field);
    }
}

#[tokio::test]
async fn cursor_agent_bodies_on_chat_completions_get_chat_answers() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let body = json!({"model": "mock-gpt-3.5-turbo", "input": [{"role": "user", "content": "fix the bug"}],
        "tools": [{"type": "function", "name": "read_file", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}},
                  {"type": "custom", "name": "ApplyPatch"}],
        "include": ["reasoning.encrypted_content"], "store": false});
    let (status, v) = post_json(&url, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["object"], "chat.completion");
    assert!(
        v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or("")
            .contains("fix the bug"),
        "{v}"
    );
    let mut streaming = body.clone();
    streaming["stream"] = json!(true);
    let (status, _, text) = post(&url, &streaming, &[]).await;
    assert_eq!(status, 200);
    let chunks = sse_events(&text);
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
}

#[tokio::test]
async fn gateway_keys_are_accepted_as_x_api_key_on_messages() {
    let dir = temp_dir("fd-keys");
    let (gw, _) = file_gateway("[mock]\nttft_ms = 0\n", &dir).await;
    let origin = format!("http://{}", gw.local_addr());
    let created = client()
        .post(format!("{origin}/admin/auth/keys"))
        .body(r#"{"name":"claude-code"}"#)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let created: Value = created.json().await.unwrap_or_default();
    let key = created["key"].as_str().unwrap_or_default().to_owned();
    let url = format!("{origin}/v1/messages");
    let body = json!({"model": "mock-gpt-3.5-turbo", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]});
    assert_eq!(post(&url, &body, &[]).await.0, 401);
    assert_eq!(
        post(&url, &body, &[("x-api-key", key.as_str())]).await.0,
        200
    );
    let bearer = format!("Bearer {key}");
    assert_eq!(
        post(&url, &body, &[("authorization", bearer.as_str())])
            .await
            .0,
        200
    );
}

/// Every value of `body` (objects and arrays included), replaced in turn by each of `replacements`.
fn mutations(body: &Value, replacements: &[Value]) -> Vec<Value> {
    fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(at.clone());
        let children: Vec<(String, &Value)> = match v {
            Value::Object(o) => o.iter().map(|(k, v)| (k.clone(), v)).collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            _ => vec![],
        };
        for (k, child) in children {
            at.push(k);
            paths(child, at, out);
            at.pop();
        }
    }
    let mut all = Vec::new();
    paths(body, &mut Vec::new(), &mut all);
    let mut out = Vec::new();
    for path in all.iter().filter(|p| !p.is_empty()) {
        for r in replacements {
            let mut b = body.clone();
            let pointer = format!("/{}", path.join("/"));
            if let Some(slot) = b.pointer_mut(&pointer) {
                *slot = r.clone();
                out.push(b);
            }
        }
    }
    out
}

#[tokio::test]
async fn wrongly_typed_fields_anywhere_are_400s_never_crashes() {
    let gw = mock_gateway().await;
    let replacements = [json!(null), json!(-1), json!("x"), json!([]), json!({})];
    // One client: connections are reused, so the hundreds of requests stay quick.
    let http = client();
    let messages = json!({"model": "mock-gpt-3.5-turbo", "max_tokens": 20, "stream": true, "system": [{"type": "text", "text": "s"}],
        "tools": [weather_tool()], "tool_choice": {"type": "auto"}, "thinking": {"type": "enabled", "budget_tokens": 2000},
        "messages": [{"role": "user", "content": [{"type": "text", "text": "weather?"}, {"type": "image", "source": {"type": "url", "url": "http://x"}}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "x"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "ok"}]}]}]});
    let responses = json!({"model": "mock-gpt-3.5-turbo", "instructions": "i", "max_output_tokens": 20, "stream": true,
        "reasoning": {"effort": "low"}, "text": {"format": {"type": "json_schema", "name": "n", "schema": {"type": "object"}}},
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}], "tool_choice": {"type": "function", "name": "f"},
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
            {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c", "output": "done"}]});
    let doors = [
        ("messages", messages.clone(), true),
        ("messages/count_tokens", messages, true),
        ("responses", responses.clone(), false),
        ("chat/completions", responses, false),
    ];
    for (path, body, anthropic) in doors {
        let url = format!("{}/{path}", gw.base_url());
        for mutated in mutations(&body, &replacements) {
            let r = http.post(&url).json(&mutated).send().await;
            let r = r.unwrap_or_else(|e| panic!("{path} {mutated}: {e}"));
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            assert!(
                matches!(status, 200 | 400 | 404),
                "{path} {mutated} → {status}: {text}"
            );
            if status != 200 {
                let v = parse(&text);
                if anthropic {
                    assert_eq!(v["type"], "error", "{path} {mutated}: {v}");
                    assert!(v["error"]["message"].is_string(), "{v}");
                } else {
                    envelope(&v);
                }
            }
        }
    }
    let (s, _) = get_json(&format!("http://{}/health", gw.local_addr())).await;
    assert_eq!(s, 200);
}
