//! The front doors in front of real upstreams: translated through an OpenAI-compatible server (events
//! split anywhere, a server that ignores `stream: true`, its errors), and passed through to a server
//! that speaks the Responses API itself.

use serde_json::{json, Value};

use super::{named_events, parse, post, weather_tool, CLAUDE_HEADERS};
use crate::support::*;

fn chat_chunk(delta: Value, finish: Option<&str>) -> String {
    let c = json!({"id": "chatcmpl-up1", "object": "chat.completion.chunk", "created": 1, "model": "up-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {c}\n\n")
}

#[tokio::test]
async fn messages_through_an_openai_upstream_are_translated_both_ways() {
    let (base, hits) = recording_upstream(|hit| {
        // A server that ignores `stream: true` when the prompt says "whole".
        let whole = hit.json()["messages"].to_string().contains("whole");
        if hit.json()["stream"] == true && !whole {
            // Events cut at awkward places: the gateway must reassemble them.
            let mut text = String::new();
            text.push_str(&chat_chunk(json!({"role": "assistant", "content": ""}), None));
            text.push_str(&chat_chunk(json!({"content": "Let me look."}), None));
            text.push_str(&chat_chunk(json!({"tool_calls": [{"index": 0, "id": "call_9", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}), None));
            text.push_str(&chat_chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}), None));
            text.push_str(&chat_chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Rome\"}"}}]}), None));
            text.push_str(&chat_chunk(json!({}), Some("tool_calls")));
            text.push_str("data: {\"id\":\"chatcmpl-up1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"up-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":9,\"total_tokens\":40}}\n\n");
            text.push_str("data: [DONE]\n\n");
            let pieces: Vec<String> = text.as_bytes().chunks(37).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
            return sse_chunks(pieces);
        }
        json_response(200, &json!({"id": "chatcmpl-up2", "object": "chat.completion", "created": 1, "model": "up-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Sunny."}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22}}))
    })
    .await;
    let gw = gateway(&proxy_config(&base, "models = [\"up-model\"]")).await;
    let url = format!("{}/messages", gw.base_url());
    let body = json!({"model": "up-model", "max_tokens": 100, "stream": true, "system": "Be brief.",
        "tools": [weather_tool()],
        "messages": [{"role": "user", "content": "Weather in Rome?"}]});
    let (status, _, text) = post(&url, &body, CLAUDE_HEADERS).await;
    assert_eq!(status, 200, "{text}");
    let events = named_events(&text);
    let kinds: Vec<Value> = events
        .iter()
        .filter(|(n, _)| n == "content_block_start")
        .map(|(_, d)| d["content_block"]["type"].clone())
        .collect();
    assert_eq!(kinds, [json!("text"), json!("tool_use")]);
    let delta = events
        .iter()
        .find(|(n, _)| n == "message_delta")
        .map(|(_, d)| d.clone())
        .unwrap_or_default();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(
        delta["usage"],
        json!({"input_tokens": 31, "output_tokens": 9, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0})
    );
    let sent = hits.to("/v1/chat/completions");
    let sent = sent[0].json();
    assert_eq!(
        sent["stream_options"]["include_usage"], true,
        "usage is asked for: {sent}"
    );
    assert_eq!(
        sent["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(sent["tools"][0]["function"]["name"], "get_weather");
    assert_eq!(sent["max_tokens"], 100);

    let (status, _, text) = post(&url, &json!({"model": "up-model", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}), &[]).await;
    assert_eq!(status, 200, "{text}");
    let v = parse(&text);
    assert_eq!(v["content"], json!([{"type": "text", "text": "Sunny."}]));
    assert_eq!(v["id"], "msg_up2");

    // Asked to stream, answered whole: the client still gets its event stream.
    let body = json!({"model": "up-model", "max_tokens": 10, "stream": true, "messages": [{"role": "user", "content": "whole"}]});
    let (status, headers, text) = post(&url, &body, &[]).await;
    assert_eq!(status, 200, "{text}");
    assert!(headers["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/event-stream"));
    let events = named_events(&text);
    assert_eq!(events.first().map(|e| e.0.as_str()), Some("message_start"));
    assert_eq!(events.last().map(|e| e.0.as_str()), Some("message_stop"));
    assert!(
        events.iter().any(|(_, d)| d["delta"]["text"] == "Sunny."),
        "{text}"
    );
}

#[tokio::test]
async fn upstream_errors_on_the_messages_route_keep_their_status() {
    let (base, _) = recording_upstream(|_| {
        json_response(503, &json!({"error": {"message": "model is loading", "type": "server_error", "param": null, "code": null}}))
    })
    .await;
    let gw = gateway(&proxy_config(&base, "models = [\"up-model\"]")).await;
    let body = json!({"model": "up-model", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    let (status, _, text) = post(&format!("{}/messages", gw.base_url()), &body, &[]).await;
    assert_eq!(status, 503);
    let v = parse(&text);
    assert_eq!(v["error"]["type"], "api_error");
    assert_eq!(v["error"]["message"], "model is loading");
}

#[tokio::test]
async fn responses_pass_through_to_an_upstream_that_speaks_them() {
    let (base, hits) = recording_upstream(|hit| {
        if hit.json()["stream"] == true {
            return sse_chunks(vec![
                "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_up\"}}\n\n".into(),
                "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":1,\"response\":{\"id\":\"resp_up\"}}\n\n".into(),
            ]);
        }
        json_response(200, &json!({"id": "resp_up", "object": "response", "status": "completed", "output": []}))
    })
    .await;
    let gw = gateway(&proxy_config(
        &base,
        "models = [\"up-model\"]\nresponses_api = true",
    ))
    .await;
    let url = format!("{}/responses", gw.base_url());
    // State is the upstream's business here: nothing is refused.
    let body = r#"{"model":"up-model","input":"hi","previous_response_id":"resp_0","store":true,"vendor_field":{"x":1}}"#;
    let r = client()
        .post(&url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap_or_default()["id"], "resp_up");
    assert_eq!(
        hits.to("/v1/responses")[0].body,
        body.as_bytes(),
        "forwarded byte for byte"
    );
    let (status, _, text) = post(
        &url,
        &json!({"model": "up-model", "input": "hi", "stream": true}),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert!(text.starts_with("event: response.created\n"), "{text}");
    assert_eq!(named_events(&text).len(), 2);
    assert!(hits.to("/v1/chat/completions").is_empty());
}
