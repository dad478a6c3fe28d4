//! Which tool sent a request, from its `User-Agent` (and a few tool-specific headers).

use axum::http::HeaderMap;

/// A short, stable name for the client: `Cursor`, `Claude Code`, `openai-python/1.2.3`, `curl/8.5.0` …
pub fn identify(headers: &HeaderMap) -> String {
    let ua = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    let lower = ua.to_ascii_lowercase();
    let version_after = |prefix: &str| -> Option<String> {
        let at = lower.find(prefix)? + prefix.len();
        let v: String = ua[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        (!v.is_empty()).then_some(v)
    };
    let named: &[(&str, &str)] = &[
        ("claude-cli", "Claude Code"),
        ("claude-code", "Claude Code"),
        ("codex", "Codex"),
        ("cursor", "Cursor"),
        ("continue", "Continue"),
        ("cline", "Cline"),
        ("roo-code", "Roo Code"),
        ("open-webui", "Open WebUI"),
        ("librechat", "LibreChat"),
        ("zed", "Zed"),
        ("aider", "aider"),
        ("goose", "Goose"),
        ("langchain", "LangChain"),
        ("llamaindex", "LlamaIndex"),
        ("jetbrains", "JetBrains AI"),
        ("copilot", "VS Code Copilot"),
    ];
    for (needle, name) in named {
        if lower.contains(needle) {
            return (*name).to_owned();
        }
    }
    if lower.starts_with("openai/python") {
        return format!(
            "openai-python/{}",
            version_after("openai/python ").unwrap_or_default()
        );
    }
    if lower.starts_with("openai/js") {
        return format!(
            "openai-node/{}",
            version_after("openai/js ").unwrap_or_default()
        );
    }
    if lower.starts_with("anthropic/python") {
        return format!(
            "anthropic-python/{}",
            version_after("anthropic/python ").unwrap_or_default()
        );
    }
    if lower.starts_with("anthropic/js") {
        return format!(
            "anthropic-node/{}",
            version_after("anthropic/js ").unwrap_or_default()
        );
    }
    match headers
        .get("x-stainless-lang")
        .and_then(|v| v.to_str().ok())
    {
        Some("python") => return "openai-python".into(),
        Some("js") => return "openai-node".into(),
        _ => {}
    }
    if ua.is_empty() {
        return "unknown".into();
    }
    // Otherwise the product token: `curl/8.5.0`, `python-requests/2.31`, `node-fetch` …
    ua.split_whitespace()
        .next()
        .unwrap_or(ua)
        .chars()
        .take(48)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ua(ua: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = ua.parse() {
            h.insert(axum::http::header::USER_AGENT, v);
        }
        h
    }

    #[test]
    fn known_clients_are_named() {
        assert_eq!(
            identify(&with_ua("OpenAI/Python 1.54.3")),
            "openai-python/1.54.3"
        );
        assert_eq!(identify(&with_ua("OpenAI/JS 4.77.0")), "openai-node/4.77.0");
        assert_eq!(
            identify(&with_ua("claude-cli/1.0.0 (external, cli)")),
            "Claude Code"
        );
        assert_eq!(identify(&with_ua("curl/8.5.0")), "curl/8.5.0");
        assert_eq!(identify(&with_ua("")), "unknown");
        assert_eq!(identify(&with_ua("codex_exec/0.40.0 (Debian)")), "Codex");
    }
}
