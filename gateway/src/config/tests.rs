use super::*;

#[test]
fn empty_config_serves_the_mock_provider_on_loopback() {
    let c = Config::from_toml_str("", &Env::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.mock.enabled);
    assert_eq!(c.server.port, 4242);
    assert!(c.server.host.is_loopback());
    assert_eq!(c.mock.models.len(), 5);
    assert_eq!(c.mock.reasoning, ReasoningFormat::Field);
}

#[test]
fn unknown_keys_are_reported_with_line_and_column() {
    let err = Config::from_toml_str("[server]\nport = 1\nprot = 2\n", &Env::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("line 3, column 1"), "{err}");
    assert!(err.contains("prot"), "{err}");
}

#[test]
fn enable_reasoning_false_switches_to_think_tags() {
    let env = Env {
        enable_reasoning: Some("false".into()),
        ..Env::default()
    };
    let c = Config::from_toml_str("", &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.mock.reasoning, ReasoningFormat::ThinkTags);
    assert!(c
        .mock
        .models
        .iter()
        .all(|m| m.reasoning == ReasoningFormat::ThinkTags));
}

#[test]
fn secrets_are_masked_in_debug_output() {
    let text = "[[providers]]\nid = \"up\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1/\"\napi_key = \"sk-very-secret-value-1234\"\n";
    let c = Config::from_toml_str(text, &Env::default()).unwrap_or_else(|e| panic!("{e}"));
    let debug = format!("{c:?}");
    assert!(!debug.contains("very-secret"), "{debug}");
    assert_eq!(c.providers[0].base_url, "http://127.0.0.1:1/v1");
}

#[test]
fn bad_base_url_and_reserved_id_are_refused() {
    let bad = "[[providers]]\nid = \"x\"\nkind = \"openai\"\nbase_url = \"localhost:8000\"\n";
    assert!(Config::from_toml_str(bad, &Env::default()).is_err());
    let reserved = "[[providers]]\nid = \"mock\"\nkind = \"openai\"\nbase_url = \"http://a/v1\"\n";
    assert!(Config::from_toml_str(reserved, &Env::default()).is_err());
}
