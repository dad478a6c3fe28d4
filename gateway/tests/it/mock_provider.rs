//! The built-in mock provider over HTTP: every endpoint, stream semantics, tools, faults.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn lists_the_preset_models_and_retrieves_one() {
    let gw = mock_gateway().await;
    let (status, body) = get_json(&format!("{}/models", gw.base_url())).await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    let ids = data_ids(&body);
    for id in [
        "mock-gpt-3.5-turbo",
        "mock-davinci-002",
        "deepseek-reasoner",
        "mock-embedding-ada-002",
        "mock-rerank-v1",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let (status, one) = get_json(&format!("{}/models/deepseek-reasoner", gw.base_url())).await;
    assert_eq!((status, one["object"].as_str()), (200, Some("model")));
    let (status, missing) = get_json(&format!("{}/models/nope", gw.base_url())).await;
    assert_eq!(status, 404);
    assert_eq!(envelope(&missing)["code"], "model_not_found");
}

#[tokio::test]
async fn chat_is_deterministic_and_counts_tokens() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let req = json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "Tell me about Rust"}]});
    let (s1, a) = post_json(&url, &req).await;
    let (_, b) = post_json(&url, &req).await;
    assert_eq!(s1, 200);
    assert_eq!(a["object"], "chat.completion");
    let text = a["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        text,
        b["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
    );
    assert!(text.contains("Tell me about Rust"), "{text}");
    let usage = &a["usage"];
    let completion = usage["completion_tokens"].as_u64().unwrap_or(0);
    assert!((20..200).contains(&completion), "{usage}");
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(usage["prompt_tokens"].as_u64().unwrap_or(0) + completion)
    );
    assert_eq!(a["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn max_completion_tokens_and_n() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let (_, v) = post_json(
        &url,
        &json!({"model": "mock-gpt-3.5-turbo", "n": 3, "max_completion_tokens": 7,
        "messages": [{"role": "user", "content": "hello"}]}),
    )
    .await;
    let choices = v["choices"].as_array().cloned().unwrap_or_default();
    assert_eq!(choices.len(), 3);
    for (i, c) in choices.iter().enumerate() {
        assert_eq!(c["index"], i);
        assert_eq!(c["finish_reason"], "length");
    }
    assert_eq!(v["usage"]["completion_tokens"], 21);
}

#[tokio::test]
async fn stream_has_role_once_a_finish_chunk_and_usage_only_when_asked() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    for include_usage in [false, true] {
        let mut req = json!({"model": "mock-gpt-3.5-turbo", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
        if include_usage {
            req["stream_options"] = json!({"include_usage": true});
        }
        let r = client()
            .post(&url)
            .json(&req)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream"));
        let events = sse_events(&r.text().await.unwrap_or_default());
        let id = events[0]["id"].clone();
        assert!(events
            .iter()
            .all(|e| e["id"] == id && e["object"] == "chat.completion.chunk"));
        let roles = events
            .iter()
            .filter(|e| e["choices"][0]["delta"].get("role").is_some())
            .count();
        assert_eq!(roles, 1, "role must appear exactly once");
        assert_eq!(events[0]["choices"][0]["delta"]["role"], "assistant");
        let content: String = events
            .iter()
            .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert!(content.contains("hi"), "{content}");
        let (finish_at, finish) = events
            .iter()
            .enumerate()
            .find(|(_, e)| e["choices"][0]["finish_reason"].is_string())
            .unwrap_or_else(|| panic!("no finish chunk"));
        assert_eq!(finish["choices"][0]["delta"], json!({}));
        if include_usage {
            let last = events.last().cloned().unwrap_or_default();
            assert_eq!(last["choices"], json!([]));
            assert!(last["usage"]["total_tokens"].as_u64().unwrap_or(0) > 0);
            assert_eq!(finish_at, events.len() - 2);
            assert!(events[..events.len() - 1]
                .iter()
                .all(|e| e.get("usage") == Some(&Value::Null)));
        } else {
            assert_eq!(finish_at, events.len() - 1);
            assert!(events.iter().all(|e| e.get("usage").is_none()));
        }
    }
}

#[tokio::test]
async fn reasoning_model_streams_reasoning_before_content() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let req = json!({"model": "deepseek-reasoner", "stream": true,
        "messages": [{"role": "user", "content": "9.11 and 9.8, which is greater?"}]});
    let body = client()
        .post(&url)
        .json(&req)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let events = sse_events(&body);
    let first_content = events.iter().position(|e| {
        e["choices"][0]["delta"]["content"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    });
    let last_reasoning = events
        .iter()
        .rposition(|e| e["choices"][0]["delta"]["reasoning_content"].is_string());
    assert!(last_reasoning.is_some() && first_content.is_some());
    assert!(last_reasoning < first_content);
    let (_, plain) = post_json(
        &url,
        &json!({"model": "deepseek-reasoner", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert!(plain["choices"][0]["message"]["reasoning_content"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert!(
        plain["usage"]["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );
}

#[tokio::test]
async fn enable_reasoning_false_puts_think_tags_in_content() {
    let config = "[mock]\nreasoning = \"think_tags\"\nttft_ms = 0\ntokens_per_second = 0\n";
    let gw = gateway(config).await;
    let (_, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({"model": "deepseek-reasoner", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    let content = v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(
        content.starts_with("<think>") && content.contains("</think>"),
        "{content}"
    );
    assert!(v["choices"][0]["message"]
        .get("reasoning_content")
        .is_none());
}

fn weather_tools() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7}},
        "required": ["city", "unit"], "additionalProperties": false}}}])
}

#[tokio::test]
async fn required_tool_choice_streams_proper_tool_call_deltas() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let req = json!({"model": "mock-gpt-3.5-turbo", "stream": true, "tool_choice": "required", "tools": weather_tools(),
        "messages": [{"role": "user", "content": "hello there"}]});
    let body = client()
        .post(&url)
        .json(&req)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let events = sse_events(&body);
    let fragments: Vec<&Value> = events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["tool_calls"].get(0))
        .collect();
    assert!(fragments.len() >= 2, "{body}");
    let first = fragments[0];
    assert_eq!(first["index"], 0);
    assert!(first["id"].as_str().is_some_and(|s| s.starts_with("call_")));
    assert_eq!(first["type"], "function");
    assert_eq!(first["function"]["name"], "get_weather");
    assert_eq!(first["function"]["arguments"], "");
    for f in &fragments[1..] {
        assert!(
            f.get("id").is_none() && f.get("type").is_none() && f["function"].get("name").is_none(),
            "{f}"
        );
    }
    let args: String = fragments
        .iter()
        .filter_map(|f| f["function"]["arguments"].as_str())
        .collect();
    let parsed: Value = serde_json::from_str(&args)
        .unwrap_or_else(|e| panic!("arguments are not JSON ({e}): {args}"));
    let schema = weather_tools()[0]["function"]["parameters"].clone();
    assert!(
        jsonschema::is_valid(&schema, &parsed),
        "{parsed} does not match the tool schema"
    );
    let finish = events
        .iter()
        .find_map(|e| e["choices"][0]["finish_reason"].as_str());
    assert_eq!(finish, Some("tool_calls"));
}

#[tokio::test]
async fn a_tool_result_gets_a_text_answer() {
    let gw = mock_gateway().await;
    let (_, v) = post_json(&format!("{}/chat/completions", gw.base_url()), &json!({
        "model": "mock-gpt-3.5-turbo", "tools": weather_tools(),
        "messages": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\",\"unit\":\"celsius\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18 degrees and sunny"}]})).await;
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let text = v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.contains("get_weather") && text.contains("18 degrees"),
        "{text}"
    );
}

#[tokio::test]
async fn json_schema_response_format_yields_valid_json() {
    let gw = mock_gateway().await;
    let schema = json!({"type": "object", "properties": {
        "name": {"type": "string"}, "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2}},
        "required": ["name", "age", "tags"], "additionalProperties": false});
    let (_, v) = post_json(&format!("{}/chat/completions", gw.base_url()), &json!({
        "model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "describe a person"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "person", "strict": true, "schema": schema}}})).await;
    let content = v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    let parsed: Value = serde_json::from_str(content).unwrap_or_else(|e| panic!("{e}: {content}"));
    assert!(jsonschema::is_valid(&schema, &parsed), "{parsed}");
    let (_, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &json!({
        "model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_object"}}),
    )
    .await;
    let content = v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(
        serde_json::from_str::<Value>(content).is_ok_and(|v| v.is_object()),
        "{content}"
    );
}

#[tokio::test]
async fn legacy_completions_plain_and_streamed() {
    let gw = mock_gateway().await;
    let url = format!("{}/completions", gw.base_url());
    let (s, v) = post_json(
        &url,
        &json!({"model": "mock-davinci-002", "prompt": "你好", "max_tokens": 5}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["object"], "text_completion");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(v["usage"]["completion_tokens"], 5);
    let req = json!({"model": "mock-davinci-002", "prompt": ["a", "b"], "stream": true});
    let body = client()
        .post(&url)
        .json(&req)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let events = sse_events(&body);
    assert!(events.iter().all(|e| e["object"] == "text_completion"));
    let finished: Vec<u64> = events
        .iter()
        .filter(|e| e["choices"][0]["finish_reason"].is_string())
        .filter_map(|e| e["choices"][0]["index"].as_u64())
        .collect();
    assert_eq!(finished, vec![0, 1]);
}

fn decode_b64(s: &str) -> Vec<f32> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default();
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[tokio::test]
async fn embeddings_float_base64_dimensions_and_tokens() {
    let gw = mock_gateway().await;
    let url = format!("{}/embeddings", gw.base_url());
    let (_, f) = post_json(&url, &json!({"model": "mock-embedding-ada-002", "input": ["the cat sat", "the cat sat down", "stock prices fell"]})).await;
    let vecs: Vec<Vec<f32>> = f["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            d["embedding"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_f64)
                .map(|x| x as f32)
                .collect()
        })
        .collect();
    assert_eq!(vecs.len(), 3);
    assert!(vecs.iter().all(|v| v.len() == 1536));
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    assert!((cos(&vecs[0], &vecs[0]) - 1.0).abs() < 1e-4);
    assert!(cos(&vecs[0], &vecs[1]) > cos(&vecs[0], &vecs[2]));

    let (_, b) = post_json(&url, &json!({"model": "mock-embedding-ada-002", "input": "the cat sat", "encoding_format": "base64", "dimensions": 64})).await;
    let decoded = decode_b64(b["data"][0]["embedding"].as_str().unwrap_or_default());
    assert_eq!(decoded.len(), 64);
    let (_, f64d) = post_json(
        &url,
        &json!({"model": "mock-embedding-ada-002", "input": "the cat sat", "dimensions": 64}),
    )
    .await;
    let floats: Vec<f32> = f64d["data"][0]["embedding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .map(|x| x as f32)
        .collect();
    assert_eq!(
        decoded, floats,
        "base64 must carry the same little-endian floats"
    );

    let (s, t) = post_json(
        &url,
        &json!({"model": "mock-embedding-ada-002", "input": [[1820, 8415, 7731], [15339]]}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(t["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(t["usage"]["prompt_tokens"], 4);
}

#[tokio::test]
async fn rerank_sorts_by_relevance_with_top_n_on_both_paths() {
    let gw = mock_gateway().await;
    let origin = format!("http://{}", gw.local_addr());
    for path in ["/v1/rerank", "/rerank"] {
        let (s, v) = post_json(&format!("{origin}{path}"), &json!({"model": "mock-rerank-v1", "query": "rust web server",
            "documents": ["a garden in spring", {"text": "a fast web server written in rust"}, "web pages"], "top_n": 2})).await;
        assert_eq!(s, 200, "{path}: {v}");
        let results = v["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["index"], 1);
        assert_eq!(
            results[0]["document"]["text"],
            "a fast web server written in rust"
        );
        assert!(results[0]["relevance_score"].as_f64() > results[1]["relevance_score"].as_f64());
    }
    let (_, v) = post_json(
        &format!("{origin}/v1/rerank"),
        &json!({"model": "mock-rerank-v1", "query": "q",
        "documents": ["a", "b"], "return_documents": false}),
    )
    .await;
    assert!(v["results"][0].get("document").is_none());
}

#[tokio::test]
async fn openai_mocker_curl_examples_work_with_any_bearer_key() {
    let gw = mock_gateway().await;
    let origin = format!("http://{}", gw.local_addr());
    let cases = [
        (
            "/v1/chat/completions",
            json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "你好"}]}),
            "chat.completion",
        ),
        (
            "/v1/completions",
            json!({"model": "mock-davinci-002", "prompt": "你好"}),
            "text_completion",
        ),
        (
            "/v1/embeddings",
            json!({"model": "mock-embedding-ada-002", "input": "你好"}),
            "list",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "deepseek-reasoner", "messages": [{"role": "user", "content": "9.11 and 9.8, which is greater?"}]}),
            "chat.completion",
        ),
    ];
    for (path, body, object) in cases {
        let r = client()
            .post(format!("{origin}{path}"))
            .bearer_auth("sk-mock-xxxx")
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 200, "{path}");
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(v["object"], object, "{path}");
    }
    let r = client().post(format!("{origin}/v1/rerank")).bearer_auth("sk-mock-xxxx")
        .json(&json!({"model": "mock-rerank-v1", "query": "搜索查询", "documents": ["文档1", "文档2", "文档3"]}))
        .send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["results"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn fault_injection_429_500_503() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let body =
        json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "x"}]});
    for (fault, status, retry_after) in [
        ("429", 429, Some("1")),
        ("500", 500, None),
        ("503", 503, Some("1")),
    ] {
        let r = client()
            .post(&url)
            .header("x-mock-fault", fault)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), status, "{fault}");
        assert_eq!(
            r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
            retry_after,
            "{fault}"
        );
        let v: Value = r.json().await.unwrap_or_default();
        envelope(&v);
    }
    let r = client()
        .post(&url)
        .header("x-mock-fault", "explode")
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn fault_injection_timeout_hangs_until_the_client_gives_up() {
    let gw = mock_gateway().await;
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .header("x-mock-fault", "timeout")
        .timeout(std::time::Duration::from_millis(300))
        .json(
            &json!({"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "x"}]}),
        )
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()));
}

#[tokio::test]
async fn fault_injection_disconnect_cuts_the_stream_midway() {
    let gw = mock_gateway().await;
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .header("x-mock-fault", "disconnect")
        .json(&json!({"model": "mock-gpt-3.5-turbo", "stream": true, "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let mut stream = r.bytes_stream();
    let mut received = Vec::new();
    let mut failed = false;
    while let Some(item) = futures_util::StreamExt::next(&mut stream).await {
        match item {
            Ok(b) => received.extend_from_slice(&b),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&received);
    assert!(failed, "the body must end in a transport error");
    assert!(
        text.contains("chat.completion.chunk"),
        "some events arrive first"
    );
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn mock_streams_at_the_configured_pace() {
    let gw = gateway("[mock]\nttft_ms = 200\ntokens_per_second = 1000\n").await;
    let started = std::time::Instant::now();
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .json(&json!({"model": "mock-gpt-3.5-turbo", "stream": true, "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stream = r.bytes_stream();
    let _first = futures_util::StreamExt::next(&mut stream).await;
    let ttft = started.elapsed();
    assert!(
        ttft >= std::time::Duration::from_millis(200),
        "first token came after {ttft:?}"
    );
}
