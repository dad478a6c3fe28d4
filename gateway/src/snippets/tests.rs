//! Every snippet parses as what it claims to be, and the tool-specific rules of the spec hold.

use super::*;

fn ctx(base: &str) -> Context {
    Context::new(&Request {
        base_url: base.into(),
        model: Some("Qwen/Qwen2.5-7B-Instruct".into()),
        api_key: Some("sk-sb-abc123".into()),
        keys_required: true,
        embed_model: Some("mock-embedding-ada-002".into()),
        autocomplete_model: Some("mock-davinci-002".into()),
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn full() -> Context {
    ctx("http://127.0.0.1:4242/v1")
}

fn block(r: &Rendered, lang: Lang) -> &str {
    r.blocks
        .iter()
        .find(|b| b.lang == lang)
        .map(|b| b.content.as_str())
        .unwrap_or_else(|| panic!("{} has no {lang:?} block", r.tool))
}

fn yaml(text: &str) -> serde_json::Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"))
}

fn rendered(tool: &str, c: &Context) -> Rendered {
    render(find(tool).unwrap_or_else(|e| panic!("{e}")), c)
}

#[test]
fn every_structured_block_parses_with_and_without_optional_models() {
    let minimal = Context::new(&Request {
        base_url: "http://127.0.0.1:4242/v1".into(),
        ..Request::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    for c in [full(), minimal] {
        for tool in tools() {
            let r = render(tool, &c);
            assert!(!r.blocks.is_empty(), "{}", tool.id);
            for b in &r.blocks {
                let text = &b.content;
                match b.lang {
                    Lang::Json => {
                        serde_json::from_str::<serde_json::Value>(text)
                            .unwrap_or_else(|e| panic!("{}: {e}\n{text}", tool.id));
                    }
                    Lang::Yaml => {
                        yaml(text);
                    }
                    Lang::Toml => {
                        toml::from_str::<toml::Table>(text)
                            .unwrap_or_else(|e| panic!("{}: {e}\n{text}", tool.id));
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn no_placeholder_is_left_unfilled() {
    let names = [
        "{base_url}",
        "{origin}",
        "{port}",
        "{api_key}",
        "{model}",
        "{small_model}",
        "{docker_base_url}",
        "{openai_base_path}",
        "{embed_model}",
        "{autocomplete_model}",
    ];
    for tool in tools() {
        let r = render(tool, &full());
        for name in names {
            assert!(!r.text.contains(name), "{} left {name}", tool.id);
        }
        assert!(!r.text.contains("?embed_model|"), "{}", tool.id);
        assert!(r.text.contains(r.label), "{}", tool.id);
    }
}

#[test]
fn the_spec_tools_are_all_there() {
    for id in [
        "cursor",
        "continue",
        "cline",
        "vscode-copilot",
        "open-webui",
        "librechat",
        "zed",
        "jetbrains",
        "codex",
        "claude-code",
        "aider",
        "llm",
        "goose",
        "python",
        "node",
        "langchain",
        "llamaindex",
        "curl",
        "env",
    ] {
        assert!(find(id).is_ok(), "{id}");
    }
    let mut ids: Vec<_> = tools().map(|t| t.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), tools().count(), "tool ids are unique");
}

#[test]
fn codex_toml_has_the_keys_codex_requires() {
    let r = rendered("codex", &full());
    let t: toml::Table = toml::from_str(block(&r, Lang::Toml)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t["model"].as_str(), Some("Qwen/Qwen2.5-7B-Instruct"));
    let provider = t["model_provider"].as_str().unwrap_or_default();
    assert!(!["openai", "ollama", "lmstudio", "amazon-bedrock", ""].contains(&provider));
    let p = t["model_providers"][provider]
        .as_table()
        .unwrap_or_else(|| panic!("no [model_providers.{provider}]"));
    assert_eq!(p["wire_api"].as_str(), Some("responses"));
    assert_eq!(p["base_url"].as_str(), Some("http://127.0.0.1:4242/v1"));
    assert!(p["name"].as_str().is_some_and(|n| !n.is_empty()));
    let env_key = p["env_key"].as_str().unwrap_or_default();
    assert!(block(&r, Lang::Bash).contains(&format!("export {env_key}=sk-sb-abc123")));
    // Codex denies unknown provider fields.
    let known = [
        "name",
        "base_url",
        "env_key",
        "env_key_instructions",
        "experimental_bearer_token",
        "auth",
        "wire_api",
        "query_params",
        "http_headers",
        "env_http_headers",
        "request_max_retries",
        "stream_max_retries",
        "stream_idle_timeout_ms",
        "requires_openai_auth",
        "supports_websockets",
    ];
    for k in p.keys() {
        assert!(known.contains(&k.as_str()), "codex refuses field {k}");
    }
}

#[test]
fn claude_code_uses_the_origin_without_v1() {
    let r = rendered("claude-code", &full());
    let v: serde_json::Value =
        serde_json::from_str(block(&r, Lang::Json)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["env"]["ANTHROPIC_BASE_URL"], "http://127.0.0.1:4242");
    assert_eq!(v["env"]["ANTHROPIC_AUTH_TOKEN"], "sk-sb-abc123");
    assert!(v["env"].get("ANTHROPIC_API_KEY").is_none(), "not both");
    assert!(block(&r, Lang::Bash).contains("export ANTHROPIC_BASE_URL=http://127.0.0.1:4242\n"));
}

#[test]
fn continue_yaml_has_its_required_keys_and_optional_roles() {
    let r = rendered("continue", &full());
    let v = yaml(block(&r, Lang::Yaml));
    assert_eq!(v["name"], "Switchboard");
    assert_eq!(v["version"], "1.0.0");
    assert_eq!(v["schema"], "v1");
    let models = v["models"].as_array().cloned().unwrap_or_default();
    assert_eq!(models.len(), 3);
    assert_eq!(models[0]["apiBase"], "http://127.0.0.1:4242/v1");
    assert_eq!(models[1]["roles"][0], "autocomplete");
    assert_eq!(models[2]["roles"][0], "embed");
    let legacy: serde_json::Value =
        serde_json::from_str(block(&r, Lang::Json)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(legacy["tabAutocompleteModel"]["model"], "mock-davinci-002");
    assert_eq!(legacy["models"][0]["apiKey"], "sk-sb-abc123");

    let plain = Context {
        embed_model: None,
        autocomplete_model: None,
        ..full()
    };
    let r = rendered("continue", &plain);
    let v = yaml(block(&r, Lang::Yaml));
    assert_eq!(v["models"].as_array().map(Vec::len), Some(1));
    let legacy: serde_json::Value =
        serde_json::from_str(block(&r, Lang::Json)).unwrap_or_else(|e| panic!("{e}"));
    assert!(legacy.get("embeddingsProvider").is_none());
}

#[test]
fn docker_clients_reach_the_host_by_name_and_linux_uses_host_networking() {
    let r = rendered("open-webui", &full());
    assert!(r.blocks[0]
        .content
        .contains("OPENAI_API_BASE_URL=http://host.docker.internal:4242/v1"));
    assert!(r.blocks[1].content.contains("--network=host"));
    assert!(r.blocks[1]
        .content
        .contains("OPENAI_API_BASE_URL=http://127.0.0.1:4242/v1"));
    assert!(r.notes.iter().any(|n| n.starts_with("Linux")));
    let r = rendered("librechat", &full());
    let v = yaml(block(&r, Lang::Yaml));
    assert_eq!(
        v["endpoints"]["custom"][0]["baseURL"],
        "http://host.docker.internal:4242/v1"
    );
    assert_eq!(
        v["endpoints"]["custom"][0]["apiKey"],
        "${SWITCHBOARD_API_KEY}"
    );
}

#[test]
fn cursor_warns_about_a_local_url_but_not_a_tunnel() {
    let r = rendered("cursor", &full());
    assert!(r.warnings.iter().any(|w| w.contains("tunnel")));
    let r = rendered("cursor", &ctx("https://gw.example.com/v1"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(r.blocks[0].content.contains("https://gw.example.com/v1"));
}

#[test]
fn goose_splits_host_and_path() {
    let r = rendered("goose", &full());
    let text = block(&r, Lang::Bash);
    assert!(text.contains("OPENAI_HOST=http://127.0.0.1:4242\n"));
    assert!(text.contains("OPENAI_BASE_PATH=v1/chat/completions\n"));
}

#[test]
fn keys_dummy_placeholder_and_given() {
    let base = Request {
        base_url: "http://127.0.0.1:4242/v1/".into(),
        ..Request::default()
    };
    let c = Context::new(&base).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.base_url, "http://127.0.0.1:4242/v1");
    assert_eq!(c.api_key, DUMMY_KEY);
    assert_eq!(c.model, DEFAULT_MODEL);
    assert!(rendered("python", &c).warnings.is_empty());
    let c = Context::new(&Request {
        keys_required: true,
        ..base.clone()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.api_key, KEY_PLACEHOLDER);
    assert!(rendered("python", &c)
        .warnings
        .iter()
        .any(|w| w.contains("Keys page")));
}

#[test]
fn unsafe_values_are_refused_with_the_field_named() {
    let bad_model = Request {
        base_url: "http://127.0.0.1:4242/v1".into(),
        model: Some("x\"; rm -rf ~".into()),
        ..Request::default()
    };
    assert!(matches!(
        Context::new(&bad_model),
        Err(SnippetError::UnsafeValue { field: "model", .. })
    ));
    for url in [
        "ftp://x/v1",
        "http://",
        "127.0.0.1:4242/v1",
        "http://a b/v1",
        "http:///v1",
    ] {
        let req = Request {
            base_url: url.into(),
            ..Request::default()
        };
        assert!(
            matches!(Context::new(&req), Err(SnippetError::BadBaseUrl(_))),
            "{url}"
        );
    }
    assert!(matches!(
        find("windsurf"),
        Err(SnippetError::UnknownTool(_))
    ));
}

#[test]
fn origin_port_and_locality() {
    let c = ctx("http://[::1]:4243/v1");
    assert_eq!(c.origin(), "http://[::1]:4243");
    assert_eq!(c.port(), "4243");
    assert!(c.is_local());
    let c = ctx("https://gw.example.com/v1");
    assert_eq!(c.port(), "443");
    assert!(!c.is_local());
    assert_eq!(c.docker_base_url(), "https://gw.example.com/v1");
    let c = ctx("http://localhost:4242/v1");
    assert!(c.is_local());
}

#[test]
fn literal_braces_survive_filling() {
    let c = full();
    assert_eq!(
        fill("{\"a\": {x}} {model}\n", &c),
        "{\"a\": {x}} Qwen/Qwen2.5-7B-Instruct\n"
    );
    assert_eq!(fill("${SB_KEY} {", &c), "${SB_KEY} {\n");
}
