//! The `anthropic` provider kind against a fake upstream that speaks the real Messages API: chat
//! completions translated both ways (bodies, event streams with tool use, usage, errors), native
//! `/v1/messages` forwarded byte for byte, model discovery.

use serde_json::{json, Value};

use crate::support::*;

fn event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// The stream Anthropic sends for a thinking + text + tool_use answer.
fn tool_stream() -> Vec<String> {
    let mut e = vec![
        event(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_01abc", "type": "message", "role": "assistant",
            "model": "claude-test", "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 42, "output_tokens": 1, "cache_read_input_tokens": 8, "cache_creation_input_tokens": 0}}}),
        ),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        ),
        event("ping", json!({"type": "ping"})),
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Need the weather."}}),
        ),
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQB"}}),
        ),
        event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
        ),
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Checking."}}),
        ),
        event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 1}),
        ),
    ];
    for (i, (id, city)) in [("toolu_a", "Paris"), ("toolu_b", "Oslo")]
        .iter()
        .enumerate()
    {
        let index = i + 2;
        e.push(event("content_block_start", json!({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": id, "name": "get_weather", "input": {}}})));
        e.push(event("content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": "}})));
        e.push(event("content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": format!("\"{city}\"}}")}})));
        e.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
    }
    e.push(event("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 57}})));
    e.push(event("message_stop", json!({"type": "message_stop"})));
    // Network chunks do not follow event boundaries.
    e.concat()
        .as_bytes()
        .chunks(53)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

fn message(text: &str) -> Value {
    json!({"id": "msg_02xyz", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 3, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 5}})
}

/// A fake Anthropic API: lists models, answers messages (streamed with tools when asked), counts tokens,
/// and fails on demand when the last user message says `fail <status>`.
async fn fake_anthropic() -> (String, Hits) {
    recording_upstream(|hit| {
        let body = hit.json();
        match hit.path.as_str() {
            "/v1/models" => json_response(200, &json!({"data": [
                {"type": "model", "id": "claude-test", "display_name": "Claude Test", "created_at": "2025-01-01T00:00:00Z"},
                {"type": "model", "id": "claude-other", "display_name": "Claude Other", "created_at": "2025-01-01T00:00:00Z"}],
                "has_more": false, "first_id": "claude-test", "last_id": "claude-other"})),
            "/v1/messages/count_tokens" => json_response(200, &json!({"input_tokens": 1234})),
            "/v1/messages" => {
                let last = body["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
                let text = last["content"][0]["text"].as_str().or(last["content"].as_str()).unwrap_or("").to_owned();
                if let Some(code) = text.strip_prefix("fail ") {
                    let status: u16 = code.trim().parse().unwrap_or(500);
                    let kind = match status { 429 => "rate_limit_error", 529 => "overloaded_error", _ => "invalid_request_error" };
                    let mut r = json_response(status, &json!({"type": "error", "error": {"type": kind, "message": format!("failed with {status}")}}));
                    r.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("7"));
                    return r;
                }
                if text == "overload mid-start" {
                    return sse_chunks(vec![event("error", json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))]);
                }
                if body["stream"] == true {
                    return sse_chunks(tool_stream());
                }
                json_response(200, &message("Bonjour."))
            }
            _ => json_response(404, &json!({"type": "error", "error": {"type": "not_found_error", "message": "no route"}})),
        }
    })
    .await
}

fn config(base: &str, extra: &str) -> String {
    format!("[mock]\nenabled = false\n\n[[providers]]\nid = \"anth\"\nkind = \"anthropic\"\nbase_url = \"{base}\"\napi_key = \"sk-ant-test-secret\"\n{extra}\n")
}

#[tokio::test]
async fn chat_completions_become_messages_requests_and_back() {
    let (base, hits) = fake_anthropic().await;
    let gw = gateway(&config(&base, "models = [\"claude-test\"]")).await;
    let body = json!({"model": "claude-test", "temperature": 1.5, "stop": "END",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "user", "content": "Thanks"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]});
    let (status, v) = post_json(&format!("{}/chat/completions", gw.base_url()), &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], "Bonjour.");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        v["usage"]["prompt_tokens"], 17,
        "input + cache creation: {v}"
    );
    let hit = &hits.to("/v1/messages")[0];
    assert_eq!(hit.header("x-api-key"), Some("sk-ant-test-secret"));
    assert_eq!(hit.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(hit.header("authorization"), None);
    let sent = hit.json();
    assert_eq!(sent["system"], "Be brief.");
    assert_eq!(sent["max_tokens"], 4096, "max_tokens is required upstream");
    assert_eq!(sent["temperature"], 1.0, "clamped to Anthropic's range");
    assert_eq!(sent["stop_sequences"], json!(["END"]));
    assert_eq!(sent["messages"][1]["content"][0]["type"], "tool_use");
    assert_eq!(
        sent["messages"][1]["content"][0]["input"],
        json!({"city": "Paris"})
    );
    assert_eq!(
        sent["messages"][2]["content"],
        json!([{"type": "tool_result", "tool_use_id": "call_1", "content": "18C"}, {"type": "text", "text": "Thanks"}]),
        "tool results first in the next user turn"
    );
    assert_eq!(
        sent["tools"][0]["input_schema"]["properties"]["city"]["type"],
        "string"
    );
}

#[tokio::test]
async fn a_streamed_tool_use_answer_becomes_chat_chunks_with_usage() {
    let (base, _) = fake_anthropic().await;
    let gw = gateway(&config(&base, "models = [\"claude-test\"]")).await;
    let body = json!({"model": "claude-test", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "Weather in Paris and Oslo?"}]});
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let chunks = sse_events(&r.text().await.unwrap_or_default());
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks
        .iter()
        .all(|c| c["id"] == "chatcmpl-01abc" && c["object"] == "chat.completion.chunk"));
    let reasoning: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["reasoning_content"].as_str())
        .collect();
    assert_eq!(reasoning, "Need the weather.");
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "Checking.");
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for c in &chunks {
        for tc in c["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let i = tc["index"].as_u64().unwrap_or(99) as usize;
            if i == calls.len() {
                assert_eq!(
                    tc["type"], "function",
                    "id, type and name come on the first fragment"
                );
                calls.push((
                    tc["id"].as_str().unwrap_or("").into(),
                    tc["function"]["name"].as_str().unwrap_or("").into(),
                    String::new(),
                ));
            }
            calls[i]
                .2
                .push_str(tc["function"]["arguments"].as_str().unwrap_or(""));
        }
    }
    assert_eq!(
        calls.len(),
        2,
        "tool-call indices are 0 and 1, not Anthropic's block indices"
    );
    assert_eq!(calls[0].0, "toolu_a");
    assert_eq!(
        serde_json::from_str::<Value>(&calls[1].2).unwrap_or_default(),
        json!({"city": "Oslo"})
    );
    let finish = chunks
        .iter()
        .find_map(|c| c["choices"][0]["finish_reason"].as_str());
    assert_eq!(finish, Some("tool_calls"));
    let last = &chunks[chunks.len() - 1];
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["prompt_tokens"], 50);
    assert_eq!(last["usage"]["completion_tokens"], 57);
    assert_eq!(last["usage"]["prompt_tokens_details"]["cached_tokens"], 8);
}

#[tokio::test]
async fn upstream_errors_keep_their_status_in_the_openai_envelope() {
    let (base, _) = fake_anthropic().await;
    let gw = gateway(&config(&base, "models = [\"claude-test\"]")).await;
    let url = format!("{}/chat/completions", gw.base_url());
    for (code, kind) in [
        (429, "rate_limit_error"),
        (529, "overloaded_error"),
        (400, "invalid_request_error"),
    ] {
        let body = json!({"model": "claude-test", "messages": [{"role": "user", "content": format!("fail {code}")}]});
        let r = client()
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), code);
        if code == 429 {
            assert_eq!(
                r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
                Some("7")
            );
        }
        let v: Value = r.json().await.unwrap_or_default();
        let e = envelope(&v);
        assert_eq!(e["code"], kind);
        assert!(
            e["message"]
                .as_str()
                .unwrap_or("")
                .contains(&format!("failed with {code}")),
            "{v}"
        );
    }
    // An error as the stream's first event is still an HTTP error, not a 200 stream.
    let body = json!({"model": "claude-test", "stream": true, "messages": [{"role": "user", "content": "overload mid-start"}]});
    let (status, v) = post_json(&url, &body).await;
    assert_eq!(status, 529, "{v}");
    assert!(envelope(&v)["message"]
        .as_str()
        .unwrap_or("")
        .contains("Overloaded"));
}

#[tokio::test]
async fn native_messages_are_forwarded_byte_for_byte() {
    let (base, hits) = fake_anthropic().await;
    // The preset's form of base_url (with /v1) works as well as the SDK's (without).
    let gw = gateway(&config(&format!("{base}/v1"), "models = [\"claude-test\"]")).await;
    let url = format!("{}/messages?beta=true", gw.base_url());
    let body = r#"{"model":"claude-test","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}],"context_management":{"edits":[]}}"#;
    let r = client()
        .post(&url)
        .header("content-type", "application/json")
        .header("authorization", "Bearer client-token")
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "interleaved-thinking-2025-05-14")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap_or_default();
    assert_eq!(
        text,
        tool_stream().concat(),
        "the event stream passes through untouched"
    );
    let hit = &hits.to("/v1/messages")[0];
    assert_eq!(hit.body, body.as_bytes());
    assert_eq!(
        hit.header("anthropic-beta"),
        Some("interleaved-thinking-2025-05-14")
    );
    assert_eq!(
        hit.header("x-api-key"),
        Some("sk-ant-test-secret"),
        "the provider's key, not the client's"
    );

    // A provider prefix changes the model name and nothing else.
    let prefixed = json!({"model": "anth:claude-test", "max_tokens": 8, "messages": [{"role": "user", "content": "fail 404"}]});
    let r = client()
        .post(&url)
        .json(&prefixed)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(
        v,
        json!({"type": "error", "error": {"type": "invalid_request_error", "message": "failed with 404"}}),
        "upstream errors pass through"
    );
    assert_eq!(hits.to("/v1/messages")[1].json()["model"], "claude-test");

    let (status, v) = post_json(
        &format!("{}/messages/count_tokens", gw.base_url()),
        &json!({"model": "claude-test", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!((status, v["input_tokens"].as_u64()), (200, Some(1234)));
}

#[tokio::test]
async fn models_are_discovered_and_responses_reach_anthropic_through_chat() {
    let (base, hits) = fake_anthropic().await;
    let gw = gateway(&config(&base, "")).await;
    let (status, v) = get_json(&format!("{}/models", gw.base_url())).await;
    assert_eq!(status, 200);
    let ids = data_ids(&v);
    assert_eq!(ids, ["claude-test", "claude-other"]);
    let listing = &hits.to("/v1/models")[0];
    assert_eq!(listing.header("x-api-key"), Some("sk-ant-test-secret"));
    assert_eq!(listing.header("anthropic-version"), Some("2023-06-01"));

    // Responses → chat → Messages, and the stream back through both translations.
    let r = client()
        .post(format!("{}/responses", gw.base_url()))
        .json(&json!({"model": "claude-test", "input": "weather?", "stream": true}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap_or_default();
    let completed = text
        .split("\n\n")
        .find(|e| e.starts_with("event: response.completed"))
        .and_then(|e| e.lines().nth(1))
        .and_then(|d| d.strip_prefix("data: "))
        .map(|d| serde_json::from_str::<Value>(d).unwrap_or_default())
        .unwrap_or_else(|| panic!("no response.completed: {text}"));
    let kinds: Vec<&str> = completed["response"]["output"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["reasoning", "message", "function_call", "function_call"]
    );
    assert_eq!(completed["response"]["usage"]["output_tokens"], 57);
    assert_eq!(hits.to("/v1/messages")[0].json()["stream"], true);
}

#[tokio::test]
async fn model_discovery_reads_every_page() {
    // Three pages of two models; each page after the first is asked for with the last id before it.
    let (base, hits) = recording_upstream(|hit| {
        let after = hit
            .query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .find_map(|p| p.strip_prefix("after_id="))
            .map(str::to_owned);
        let (ids, more) = match after.as_deref() {
            None => (["claude-a", "claude-b"], true),
            Some("claude-b") => (["claude-c", "claude-d"], true),
            Some("claude-d") => (["claude-e", "claude-f"], false),
            Some(_) => return json_response(400, &json!({"type": "error", "error": {"type": "invalid_request_error", "message": "bad after_id"}})),
        };
        let data: Vec<Value> = ids.iter().map(|id| json!({"type": "model", "id": id})).collect();
        json_response(200, &json!({"data": data, "has_more": more, "first_id": ids[0], "last_id": ids[1]}))
    })
    .await;
    let gw = gateway(&config(&base, "")).await;
    let (status, v) = get_json(&format!("{}/models", gw.base_url())).await;
    assert_eq!(status, 200);
    let ids = data_ids(&v);
    assert_eq!(
        ids,
        ["claude-a", "claude-b", "claude-c", "claude-d", "claude-e", "claude-f"]
    );
    let queries: Vec<String> = hits
        .to("/v1/models")
        .iter()
        .map(|h| h.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        queries,
        [
            "limit=1000",
            "limit=1000&after_id=claude-b",
            "limit=1000&after_id=claude-d"
        ]
    );
}
