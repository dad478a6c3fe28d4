//! Provider kinds and presets against fake upstreams that speak each one's real wire format: Azure's
//! deployment URLs, `api-version`, `api-key` header, filter preamble and content-filter errors;
//! Ollama's native `/api/tags` beside its `/v1`; presets' quirks (token-limit field, `stream_options`
//! with usage made by the gateway, `reasoning` mirrored to `reasoning_content`); the provider seeded
//! from `OPENAI_*`; upstream proxies.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use switchboard_gateway::config::{Config, Env, ProviderKind, ProxyEnv, Secret};
use switchboard_gateway::providers::mock::tokens;

use crate::support::*;

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "Hello"}]})
}

fn completion(model: &str, content: &str) -> Value {
    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}})
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let c = json!({"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 7, "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {c}\n\n")
}

async fn post_raw(url: &str, body: &Value) -> (u16, String) {
    let r = client()
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

// ------------------------------------------------------------------------------------------------
// Azure

#[tokio::test]
async fn azure_classic_uses_deployment_urls_api_version_and_the_api_key_header() {
    let (base, hits) = recording_upstream(|h| {
        if h.path.ends_with("/embeddings") {
            return json_response(200, &json!({"object": "list", "data": [], "model": "e", "usage": {"prompt_tokens": 1, "total_tokens": 1}}));
        }
        json_response(200, &completion("gpt-4o", "from azure"))
    })
    .await;
    let gw = gateway(&format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"az\"\nkind = \"azure\"\nbase_url = \"{base}/\"\n\
         api_key = \"azure-key-0123456789\"\napi_version = \"2024-06-01\"\nmodels = [\"prod-4o\"]\n"
    ))
    .await;
    let (s, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &chat("prod-4o"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["choices"][0]["message"]["content"], "from azure");
    // A deployment named through the provider prefix, and an endpoint other than chat.
    let (s, _) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &chat("az:other deployment"),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = post_json(
        &format!("{}/embeddings", gw.base_url()),
        &json!({"model": "prod-4o", "input": "x"}),
    )
    .await;
    assert_eq!(s, 200);

    // Deployment URLs have no rerank: a 400 that says so, and nothing is sent.
    let (s, v) = post_json(
        &format!("{}/rerank", gw.base_url()),
        &json!({"model": "prod-4o", "query": "q", "documents": ["a"]}),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        envelope(&v)["message"]
            .as_str()
            .unwrap_or("")
            .contains("'az' (azure)"),
        "{v}"
    );

    let all = hits.all();
    let paths: Vec<&str> = all.iter().map(|h| h.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/openai/deployments/prod-4o/chat/completions",
            "/openai/deployments/other%20deployment/chat/completions",
            "/openai/deployments/prod-4o/embeddings",
        ]
    );
    for h in &all {
        assert_eq!(h.query.as_deref(), Some("api-version=2024-06-01"));
        assert_eq!(h.header("api-key"), Some("azure-key-0123456789"));
        assert_eq!(h.header("authorization"), None, "Azure keys go in api-key");
    }
    assert_eq!(
        all[0].body,
        serde_json::to_vec(&chat("prod-4o")).unwrap_or_default(),
        "body untouched"
    );
}

#[tokio::test]
async fn azure_v1_form_takes_plain_openai_paths_and_bearer_entra_tokens() {
    let (base, hits) =
        recording_upstream(|_| json_response(200, &completion("dep", "v1 form"))).await;
    let gw = gateway(&format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"az\"\nkind = \"azure\"\nbase_url = \"{base}/openai/v1\"\n\
         auth = \"bearer\"\napi_key = \"entra-token-abcdefgh\"\nmodels = [\"dep\"]\n"
    ))
    .await;
    let (s, _) = post_json(&format!("{}/chat/completions", gw.base_url()), &chat("dep")).await;
    assert_eq!(s, 200);
    let hit = &hits.all()[0];
    assert_eq!(hit.path, "/openai/v1/chat/completions");
    assert_eq!(hit.query, None, "the v1 form needs no api-version");
    assert_eq!(
        hit.header("authorization"),
        Some("Bearer entra-token-abcdefgh")
    );
    assert_eq!(hit.header("api-key"), None);
}

#[tokio::test]
async fn azure_empty_first_chunk_is_dropped_even_when_split_across_writes() {
    let preamble = "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}}]}\n\n";
    let first = chunk(json!({"role": "assistant", "content": ""}), None);
    let text = chunk(json!({"content": "Hi"}), None);
    let done = chunk(json!({}), Some("stop"));
    let whole = format!("{preamble}{first}{text}{done}data: [DONE]\n\n");
    // Cut inside the preamble and inside the first real event.
    let cuts = [30, preamble.len() + 20];
    let pieces = vec![
        whole[..cuts[0]].to_owned(),
        whole[cuts[0]..cuts[1]].to_owned(),
        whole[cuts[1]..].to_owned(),
    ];
    let (base, hits) = recording_upstream(move |_| sse_chunks(pieces.clone())).await;
    let gw = gateway(&format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"az\"\nkind = \"azure\"\nbase_url = \"{base}\"\napi_key = \"k\"\nmodels = [\"d\"]\n"
    ))
    .await;
    let mut body = chat("d");
    body["stream"] = json!(true);
    let (s, text_out) = post_raw(&format!("{}/chat/completions", gw.base_url()), &body).await;
    assert_eq!(s, 200);
    let events = sse_events(&text_out);
    assert_eq!(events.len(), 3, "{text_out}");
    assert!(events
        .iter()
        .all(|e| e["choices"].as_array().is_some_and(|c| !c.is_empty())));
    assert!(!text_out.contains("prompt_filter_results"));
    assert_eq!(
        text_out,
        format!("{first}{text}{done}data: [DONE]\n\n"),
        "the other events pass through byte for byte"
    );
    assert_eq!(hits.all().len(), 1);
}

#[tokio::test]
async fn azure_content_filter_error_becomes_a_proper_envelope() {
    let (base, hits) = recording_upstream(|_| {
        json_response(400, &json!({"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            "type": null, "param": "prompt", "code": "content_filter", "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {"violence": {"filtered": true, "severity": "medium"}}}}}))
    })
    .await;
    let gw = gateway(&format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"az\"\nkind = \"azure\"\nbase_url = \"{base}\"\napi_key = \"k\"\nmodels = [\"d\"]\n"
    ))
    .await;
    let (s, v) = post_json(&format!("{}/chat/completions", gw.base_url()), &chat("d")).await;
    assert_eq!(s, 400);
    let e = envelope(&v);
    assert_eq!(e["type"], "invalid_request_error");
    assert_eq!(e["code"], "content_filter");
    assert_eq!(e["param"], "prompt");
    assert_eq!(e["innererror"]["code"], "ResponsibleAIPolicyViolation");
    assert_eq!(hits.all().len(), 1);
}

// ------------------------------------------------------------------------------------------------
// Ollama

#[tokio::test]
async fn ollama_discovers_with_api_tags_and_chats_on_v1_from_either_base_url() {
    for suffix in ["", "/v1"] {
        let (base, hits) = recording_upstream(|h| match h.path.as_str() {
            "/api/tags" => json_response(200, &json!({"models": [
                {"name": "llama3.2:latest", "model": "llama3.2:latest", "modified_at": "2025-01-01T00:00:00Z", "size": 1},
                {"name": "qwen2.5:7b", "model": "qwen2.5:7b", "modified_at": "2025-01-01T00:00:00Z", "size": 2}]})),
            "/v1/chat/completions" => json_response(200, &completion("llama3.2", "from ollama")),
            _ => json_response(404, &json!({"error": "not found"})),
        })
        .await;
        let gw = gateway(&format!(
            "[mock]\nenabled = false\n[[providers]]\nid = \"ollama\"\nkind = \"ollama\"\nbase_url = \"{base}{suffix}\"\n"
        ))
        .await;
        let (_, models) = get_json(&format!("{}/models", gw.base_url())).await;
        let ids = data_ids(&models);
        assert_eq!(
            ids,
            ["llama3.2:latest", "qwen2.5:7b"],
            "base_url {base}{suffix}"
        );
        // A bare name finds its `latest` tag, as in Ollama itself.
        let (s, v) = post_json(
            &format!("{}/chat/completions", gw.base_url()),
            &chat("llama3.2"),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["choices"][0]["message"]["content"], "from ollama");
        let (_, health) = get_json(&format!("http://{}/health", gw.local_addr())).await;
        let p = &health["providers"][0];
        assert_eq!(
            (p["kind"].as_str(), p["status"].as_str()),
            (Some("ollama"), Some("up")),
            "{health}"
        );
        assert_eq!(hits.to("/v1/chat/completions").len(), 1);
        assert!(!hits.to("/api/tags").is_empty());
        assert!(
            hits.to("/v1/models").is_empty(),
            "discovery uses the native API"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Presets and their quirks

#[tokio::test]
async fn openai_preset_sends_max_completion_tokens_to_reasoning_models_only() {
    let (base, hits) = recording_upstream(|h| {
        json_response(
            200,
            &completion(h.json()["model"].as_str().unwrap_or(""), "ok"),
        )
    })
    .await;
    let gw = gateway(&format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"oa\"\npreset = \"openai\"\nbase_url = \"{base}/v1\"\napi_key = \"sk-test-12345678\"\nmodels = [\"o3-mini\", \"gpt-4o\"]\n"
    ))
    .await;
    for model in ["o3-mini", "gpt-4o"] {
        let body = json!({"model": model, "max_tokens": 50, "messages": [{"role": "user", "content": "x"}]});
        let (s, _) = post_json(&format!("{}/chat/completions", gw.base_url()), &body).await;
        assert_eq!(s, 200);
    }
    let posts = hits.to("/v1/chat/completions");
    assert_eq!(
        String::from_utf8_lossy(&posts[0].body),
        r#"{"model":"o3-mini","max_completion_tokens":50,"messages":[{"role":"user","content":"x"}]}"#
    );
    assert_eq!(
        String::from_utf8_lossy(&posts[1].body),
        r#"{"model":"gpt-4o","max_tokens":50,"messages":[{"role":"user","content":"x"}]}"#,
        "other models get the client's bytes"
    );
    assert_eq!(
        posts[0].header("authorization"),
        Some("Bearer sk-test-12345678")
    );
}

#[tokio::test]
async fn legacy_presets_get_max_tokens() {
    let (base, hits) =
        recording_upstream(|_| json_response(200, &completion("deepseek-chat", "ok"))).await;
    let gw = gateway(&format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"ds\"\npreset = \"deepseek\"\nbase_url = \"{base}\"\nmodels = [\"deepseek-chat\"]\n"
    ))
    .await;
    let body = json!({"model": "deepseek-chat", "messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 9});
    let (s, _) = post_json(&format!("{}/chat/completions", gw.base_url()), &body).await;
    assert_eq!(s, 200);
    let sent = hits.to("/chat/completions")[0].json();
    assert_eq!(sent["max_tokens"], 9);
    assert!(sent.get("max_completion_tokens").is_none(), "{sent}");
}

#[tokio::test]
async fn stream_options_are_stripped_and_usage_is_made_by_the_gateway() {
    let events = [
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({"content": "Bonjour, "}), None),
        chunk(json!({"content": "le monde"}), None),
        chunk(json!({}), Some("stop")),
        "data: [DONE]\n\n".to_owned(),
    ];
    // Events cut in the middle: the chunking must not matter.
    let whole = events.concat();
    let pieces: Vec<String> = whole
        .as_bytes()
        .chunks(37)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let (base, hits) = recording_upstream(move |_| sse_chunks(pieces.clone())).await;
    let gw = gateway(&format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"mi\"\npreset = \"mistral\"\nbase_url = \"{base}/v1\"\nmodels = [\"m\"]\n"
    ))
    .await;
    let body = json!({"model": "m", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "Say hello in French"}]});
    let (s, text) = post_raw(&format!("{}/chat/completions", gw.base_url()), &body).await;
    assert_eq!(s, 200);
    let sent = hits.all()[0].json();
    assert!(
        sent.get("stream_options").is_none(),
        "stripped for this upstream: {sent}"
    );
    assert_eq!(sent["stream"], true);
    let out = sse_events(&text);
    assert_eq!(out.len(), 5, "{text}");
    let usage = &out[4];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["id"], "chatcmpl-9");
    assert_eq!(usage["object"], "chat.completion.chunk");
    let completion_tokens = tokens::count("Bonjour, le monde");
    assert_eq!(usage["usage"]["completion_tokens"], completion_tokens);
    let prompt = usage["usage"]["prompt_tokens"].as_u64().unwrap_or(0);
    assert!(
        prompt > tokens::count("Say hello in French") as u64,
        "framing tokens count too"
    );
    assert_eq!(
        usage["usage"]["total_tokens"],
        prompt + completion_tokens as u64
    );
    assert!(
        text.starts_with(&events[..4].concat()),
        "content events pass through unchanged"
    );

    // Without include_usage nothing is added.
    let body =
        json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}]});
    let (_, text) = post_raw(&format!("{}/chat/completions", gw.base_url()), &body).await;
    assert_eq!(text, whole);
}

#[tokio::test]
async fn upstream_usage_numbers_win_over_counting() {
    let events = vec![
        chunk(json!({"role": "assistant", "content": "Hi"}), None),
        format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 7, "model": "m",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 22, "total_tokens": 33}})
        ),
        "data: [DONE]\n\n".to_owned(),
    ];
    let (base, _) = recording_upstream(move |_| sse_chunks(events.clone())).await;
    let gw = gateway(&format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"mi\"\nkind = \"openai\"\nbase_url = \"{base}\"\nmodels = [\"m\"]\nquirks = {{ stream_options = false }}\n"
    ))
    .await;
    let body = json!({"model": "m", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "x"}]});
    let (_, text) = post_raw(&format!("{}/chat/completions", gw.base_url()), &body).await;
    let out = sse_events(&text);
    assert_eq!(
        out.last().map(|e| e["usage"]["total_tokens"].clone()),
        Some(json!(33))
    );
    assert_eq!(out.last().map(|e| e["choices"].clone()), Some(json!([])));
}

#[tokio::test]
async fn reasoning_is_mirrored_for_deepseek_style_clients_only_when_the_quirk_says_so() {
    let message = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "qwq",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "42", "reasoning": "think"}, "finish_reason": "stop"}]});
    let stream = vec![
        chunk(json!({"role": "assistant", "reasoning": "step one"}), None),
        chunk(json!({"content": "42"}), Some("stop")),
        "data: [DONE]\n\n".to_owned(),
    ];
    let reply = message.clone();
    let (base, _) = recording_upstream(move |h| {
        if h.json()["stream"] == true {
            sse_chunks(stream.clone())
        } else {
            json_response(200, &reply)
        }
    })
    .await;
    let gw = gateway(&format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"vllm\"\npreset = \"vllm\"\nbase_url = \"{base}/v1\"\nmodels = [\"qwq\"]\n\
         [[providers]]\nid = \"plain\"\nkind = \"openai\"\nbase_url = \"{base}/v1\"\nmodels = [\"other\"]\n"
    ))
    .await;
    let url = format!("{}/chat/completions", gw.base_url());
    let (_, v) = post_json(&url, &chat("qwq")).await;
    assert_eq!(v["choices"][0]["message"]["reasoning_content"], "think");
    assert_eq!(v["choices"][0]["message"]["reasoning"], "think");
    let mut streaming = chat("qwq");
    streaming["stream"] = json!(true);
    let (_, text) = post_raw(&url, &streaming).await;
    let events = sse_events(&text);
    assert_eq!(
        events[0]["choices"][0]["delta"]["reasoning_content"],
        "step one"
    );
    // Without the quirk the upstream's bytes are the answer.
    let (_, text) = post_raw(&url, &chat("plain:qwq")).await;
    assert_eq!(text, message.to_string());
}

#[tokio::test]
async fn numeric_error_codes_from_vllm_become_strings() {
    let (base, _) = recording_upstream(|_| {
        json_response(400, &json!({"error": {"message": "maximum context length is 4096 tokens", "type": "BadRequestError", "param": null, "code": 400}}))
    })
    .await;
    let gw = gateway(&proxy_config(&base, "models = [\"m\"]")).await;
    let (s, v) = post_json(&format!("{}/chat/completions", gw.base_url()), &chat("m")).await;
    assert_eq!(s, 400);
    let e = envelope(&v);
    assert_eq!(e["code"], "400");
    assert_eq!(e["message"], "maximum context length is 4096 tokens");
}

#[test]
fn presets_fill_the_url_auth_and_key_and_the_file_overrides_them() {
    let env = env_with_vars(&[("OPENROUTER_API_KEY", "sk-or-from-env")]);
    let c = Config::from_toml_str(
        "[[providers]]\nid = \"or\"\npreset = \"openrouter\"\n\
         [[providers]]\nid = \"groq\"\npreset = \"groq\"\nbase_url = \"http://127.0.0.1:9/v1\"\napi_key = \"gsk-literal-123\"\nquirks = { reasoning_field = \"reasoning_content\" }\n\
         [[providers]]\nid = \"local\"\npreset = \"ollama\"\n",
        &env,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let or = &c.providers[0];
    assert_eq!(
        (or.kind, or.base_url.as_str()),
        (ProviderKind::Openai, "https://openrouter.ai/api/v1")
    );
    assert_eq!(
        or.api_key.as_ref().map(Secret::expose),
        Some("sk-or-from-env")
    );
    assert_eq!(
        or.key_source.to_string(),
        "environment variable OPENROUTER_API_KEY"
    );
    let groq = &c.providers[1];
    assert_eq!(groq.base_url, "http://127.0.0.1:9/v1");
    assert_eq!(
        groq.api_key.as_ref().map(Secret::expose),
        Some("gsk-literal-123")
    );
    assert_eq!(
        format!("{:?}", groq.quirks.reasoning_field),
        "ReasoningContent"
    );
    assert_eq!(
        (c.providers[2].kind, c.providers[2].base_url.as_str()),
        (ProviderKind::Ollama, "http://127.0.0.1:11434")
    );
    let err = Config::from_toml_str("[[providers]]\nid = \"x\"\npreset = \"nope\"\n", &env)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("unknown preset 'nope'") && err.contains("openrouter"),
        "{err}"
    );
    let err = Config::from_toml_str("[[providers]]\nid = \"x\"\npreset = \"azure\"\n", &env)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("openai.azure.com"),
        "azure needs the user's resource URL: {err}"
    );
}

// ------------------------------------------------------------------------------------------------
// Environment compatibility

fn openai_env(base: Option<&str>, model: Option<&str>) -> Env {
    Env {
        openai_base_url: base.map(str::to_owned),
        openai_api_key: Some(Secret::new("sk-env-key-123456")),
        openai_model: model.map(str::to_owned),
        ..Env::default()
    }
}

#[test]
fn openai_variables_seed_a_provider_of_the_right_kind() {
    let c = Config::from_toml_str(
        "",
        &openai_env(
            Some("https://my-res.openai.azure.com/"),
            Some("gpt4-deploy"),
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let p = &c.providers[0];
    assert_eq!((p.id.as_str(), p.kind), ("env", ProviderKind::Azure));
    assert_eq!(p.base_url, "https://my-res.openai.azure.com");
    assert_eq!(p.models, ["gpt4-deploy"]);
    assert_eq!(c.routing.default.as_deref(), Some("env:gpt4-deploy"));
    let c = Config::from_toml_str(
        "",
        &openai_env(Some("http://localhost:11434/v1"), Some("llama2")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (c.providers[0].kind, c.providers[0].base_url.as_str()),
        (ProviderKind::Ollama, "http://localhost:11434")
    );
    // A key alone seeds nothing (the zero-configuration gateway stays offline); the file's default wins.
    assert!(Config::from_toml_str("", &openai_env(None, None))
        .map(|c| c.providers.is_empty())
        .unwrap_or(false));
    let c = Config::from_toml_str(
        "[routing]\ndefault = \"mock:mock-gpt-3.5-turbo\"\n",
        &openai_env(Some("http://127.0.0.1:8000/v1"), Some("m")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.routing.default.as_deref(),
        Some("mock:mock-gpt-3.5-turbo")
    );
    assert_eq!(c.providers[0].kind, ProviderKind::Openai);
}

#[tokio::test]
async fn the_seeded_provider_serves_the_default_model() {
    let (base, hits) = recording_upstream(|h| match h.path.as_str() {
        "/v1/models" => json_response(
            200,
            &json!({"object": "list", "data": [{"id": "gpt-4-turbo", "object": "model"}]}),
        ),
        _ => json_response(200, &completion("gpt-4-turbo", "seeded")),
    })
    .await;
    let gw = gateway_with_env(
        "[mock]\nenabled = false\n",
        &openai_env(Some(&format!("{base}/v1")), Some("gpt-4-turbo")),
    )
    .await;
    let (s, v) = post_json(
        &format!("{}/chat/completions", gw.base_url()),
        &chat("some-model-nobody-serves"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let post = &hits.to("/v1/chat/completions")[0];
    assert_eq!(post.json()["model"], "gpt-4-turbo");
    assert_eq!(
        post.header("authorization"),
        Some("Bearer sk-env-key-123456")
    );
}

/// A proxy that answers every request itself and records its request line (no CONNECT: the test
/// upstream is plain http).
fn tiny_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let seen = lines.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while !buf.ends_with(b"\r\n\r\n")
                && stream.read(&mut byte).map(|n| n == 1).unwrap_or(false)
            {
                buf.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&buf).into_owned();
            let length = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            let mut body = vec![0u8; length.unwrap_or(0)];
            let _ = stream.read_exact(&mut body);
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(head.lines().next().unwrap_or("").to_owned());
            let reply = completion("m", "via proxy").to_string();
            let _ = write!(stream, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}", reply.len());
        }
    });
    (format!("http://{addr}"), lines)
}

#[tokio::test]
async fn upstream_requests_go_through_http_proxy_unless_no_proxy_or_loopback() {
    let (proxy, lines) = tiny_proxy();
    let env = |no_proxy: Option<&str>| Env {
        proxy: ProxyEnv {
            http: Some(Secret::new(proxy.clone())),
            no_proxy: no_proxy.map(str::to_owned),
            ..ProxyEnv::default()
        },
        ..Env::default()
    };
    // `upstream.invalid` does not resolve: only the proxy can answer for it.
    let toml = "[mock]\nenabled = false\n[[providers]]\nid = \"far\"\nkind = \"openai\"\nbase_url = \"http://upstream.invalid:9/v1\"\nmodels = [\"m\"]\nconnect_timeout_secs = 2\n";
    let gw = gateway_with_env(toml, &env(None)).await;
    let (s, v) = post_json(&format!("{}/chat/completions", gw.base_url()), &chat("m")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["choices"][0]["message"]["content"], "via proxy");
    assert_eq!(
        lines.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        ["POST http://upstream.invalid:9/v1/chat/completions HTTP/1.1"]
    );
    let gw = gateway_with_env(toml, &env(Some("localhost,.invalid"))).await;
    let (s, _) = post_json(&format!("{}/chat/completions", gw.base_url()), &chat("m")).await;
    assert!(
        matches!(s, 502 | 504),
        "NO_PROXY sends it direct, where the name does not resolve: {s}"
    );
    let (base, hits) = recording_upstream(|_| json_response(200, &completion("m", "direct"))).await;
    let gw = gateway_with_env(&proxy_config(&base, "models = [\"m\"]"), &env(None)).await;
    let (_, v) = post_json(&format!("{}/chat/completions", gw.base_url()), &chat("m")).await;
    assert_eq!(
        v["choices"][0]["message"]["content"], "direct",
        "loopback upstreams skip the proxy"
    );
    assert_eq!(hits.all().len(), 1);
    assert_eq!(
        lines.lock().unwrap_or_else(|p| p.into_inner()).len(),
        1,
        "the proxy saw only the first request"
    );
}
