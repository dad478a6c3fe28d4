//! The mock provider's less common chat features: log probabilities and the deprecated functions API.

use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn logprobs_cover_every_content_token_plain_and_streamed() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let body = json!({"model": "mock-gpt-3.5-turbo", "logprobs": true, "top_logprobs": 2,
        "messages": [{"role": "user", "content": "hello"}]});
    let (s, v) = post_json(&url, &body).await;
    assert_eq!(s, 200);
    let content = v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    let entries = v["choices"][0]["logprobs"]["content"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let joined: String = entries.iter().filter_map(|e| e["token"].as_str()).collect();
    assert_eq!(joined, content, "the tokens spell the content");
    assert!(entries
        .iter()
        .all(|e| e["top_logprobs"].as_array().map(Vec::len) == Some(2)
            && e["logprob"].as_f64().is_some_and(|l| l < 0.0)));

    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let text = client()
        .post(&url)
        .json(&streamed)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let events = sse_events(&text);
    let with_content: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["choices"][0]["delta"]["content"]
                .as_str()
                .is_some_and(|c| !c.is_empty())
        })
        .collect();
    assert!(!with_content.is_empty());
    for e in with_content {
        assert_eq!(
            e["choices"][0]["logprobs"]["content"][0]["token"], e["choices"][0]["delta"]["content"],
            "{e}"
        );
    }

    let (s, v) = post_json(&url, &json!({"model": "mock-gpt-3.5-turbo", "top_logprobs": 2, "messages": [{"role": "user", "content": "x"}]})).await;
    assert_eq!((s, v["error"]["param"].as_str()), (400, Some("logprobs")));
}

#[tokio::test]
async fn legacy_functions_get_function_calls_in_the_old_shape() {
    let gw = mock_gateway().await;
    let url = format!("{}/chat/completions", gw.base_url());
    let functions = json!([{"name": "get_weather", "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]);
    let ask = json!({"model": "mock-gpt-3.5-turbo", "functions": functions,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}]});
    let (s, v) = post_json(&url, &ask).await;
    assert_eq!(s, 200);
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "function_call");
    assert!(choice["message"].get("tool_calls").is_none());
    assert_eq!(choice["message"]["function_call"]["name"], "get_weather");
    let args: Value = serde_json::from_str(
        choice["message"]["function_call"]["arguments"]
            .as_str()
            .unwrap_or(""),
    )
    .unwrap_or(Value::Null);
    assert!(args["city"].is_string(), "{v}");

    let mut streamed = ask.clone();
    streamed["stream"] = json!(true);
    let text = client()
        .post(&url)
        .json(&streamed)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let events = sse_events(&text);
    let calls: Vec<&Value> = events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"].get("function_call"))
        .collect();
    assert_eq!(calls[0]["name"], "get_weather");
    assert!(calls[1..].iter().all(|c| c.get("name").is_none()));
    let joined: String = calls
        .iter()
        .filter_map(|c| c["arguments"].as_str())
        .collect();
    assert!(serde_json::from_str::<Value>(&joined).is_ok(), "{joined}");
    assert!(events
        .iter()
        .any(|e| e["choices"][0]["finish_reason"] == "function_call"));

    let answered = json!({"model": "mock-gpt-3.5-turbo", "functions": functions, "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": null, "function_call": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
        {"role": "function", "name": "get_weather", "content": "21 degrees"}]});
    let (_, v) = post_json(&url, &answered).await;
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert!(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or("")
        .contains("get_weather"));
    let mut none = ask.clone();
    none["function_call"] = json!("none");
    let (_, v) = post_json(&url, &none).await;
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
}
