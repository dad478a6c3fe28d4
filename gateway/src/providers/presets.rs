//! Provider presets, as data: what a user would otherwise look up for each service — its base URL, how
//! it takes a key, the environment variable that conventionally holds that key, and its known quirks.
//!
//! `[[providers]] id = "openrouter"  preset = "openrouter"` is a complete provider; every field the file
//! sets overrides the preset's. Adding a service is one entry in [`PRESETS`]. Quirks change a request
//! or a response only when they apply (see `providers::openai`): the default path forwards the client's
//! bytes untouched.
//!
//! Sources for the quirks: the wire spec (`shared/specs/openai-wire.md` §1.1, §1.5, §5, §6) and each
//! service's API reference. Where a service's support for a field is unknown, the preset leaves the
//! field as the client sent it.

use crate::config::{AuthStyle, ProviderKind, Quirks, ReasoningField, TokenLimitField};

/// One preset.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The name used in `preset = "…"`.
    pub name: &'static str,
    /// What the dashboard shows.
    pub label: &'static str,
    pub kind: ProviderKind,
    /// `None` where the URL is the user's own (Azure: `https://{resource}.openai.azure.com`).
    pub base_url: Option<&'static str>,
    pub auth: AuthStyle,
    /// The variable that conventionally holds the key; read when the provider sets no `api_key`.
    pub key_env: Option<&'static str>,
    pub quirks: Quirks,
    /// Whether the service serves OpenAI's Responses API itself.
    pub responses_api: bool,
    /// Runs on this machine (offered by local-runtime discovery, no key needed).
    pub local: bool,
}

/// The quirks of a server that speaks OpenAI's current dialect.
const STANDARD: Quirks = Quirks {
    token_limit: TokenLimitField::AsSent,
    stream_options: true,
    reasoning_field: ReasoningField::ReasoningContent,
};

/// Servers that know only `max_tokens` and reject or ignore `max_completion_tokens`.
const LEGACY_TOKENS: Quirks = Quirks {
    token_limit: TokenLimitField::MaxTokens,
    ..STANDARD
};

/// Servers that put chain of thought in `reasoning` (vLLM ≥ 0.10, Ollama, OpenRouter, Groq).
const REASONING: Quirks = Quirks {
    reasoning_field: ReasoningField::Reasoning,
    ..STANDARD
};

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "openai",
        label: "OpenAI",
        kind: ProviderKind::Openai,
        base_url: Some("https://api.openai.com/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("OPENAI_API_KEY"),
        // o-series and gpt-5 models refuse `max_tokens` (400 unsupported_parameter).
        quirks: Quirks {
            token_limit: TokenLimitField::OpenaiModels,
            ..STANDARD
        },
        responses_api: true,
        local: false,
    },
    Preset {
        name: "azure",
        label: "Azure OpenAI",
        kind: ProviderKind::Azure,
        base_url: None,
        auth: AuthStyle::ApiKey,
        key_env: Some("AZURE_OPENAI_API_KEY"),
        quirks: STANDARD,
        responses_api: false,
        local: false,
    },
    Preset {
        name: "ollama",
        label: "Ollama",
        kind: ProviderKind::Ollama,
        base_url: Some("http://127.0.0.1:11434"),
        auth: AuthStyle::Bearer,
        key_env: None,
        quirks: REASONING,
        responses_api: true,
        local: true,
    },
    Preset {
        name: "vllm",
        label: "vLLM",
        kind: ProviderKind::Openai,
        base_url: Some("http://127.0.0.1:8000/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("VLLM_API_KEY"),
        quirks: REASONING,
        responses_api: true,
        local: true,
    },
    Preset {
        name: "lmstudio",
        label: "LM Studio",
        kind: ProviderKind::Openai,
        base_url: Some("http://127.0.0.1:1234/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("LM_API_TOKEN"),
        quirks: LEGACY_TOKENS,
        responses_api: true,
        local: true,
    },
    Preset {
        name: "llamacpp",
        label: "llama.cpp server",
        kind: ProviderKind::Openai,
        base_url: Some("http://127.0.0.1:8080/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("LLAMA_API_KEY"),
        quirks: LEGACY_TOKENS,
        responses_api: false,
        local: true,
    },
    Preset {
        name: "jan",
        label: "Jan",
        kind: ProviderKind::Openai,
        base_url: Some("http://127.0.0.1:1337/v1"),
        auth: AuthStyle::Bearer,
        key_env: None,
        quirks: Quirks {
            stream_options: false,
            ..LEGACY_TOKENS
        },
        responses_api: false,
        local: true,
    },
    Preset {
        name: "localai",
        label: "LocalAI",
        kind: ProviderKind::Openai,
        base_url: Some("http://127.0.0.1:8080/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("LOCALAI_API_KEY"),
        quirks: Quirks {
            stream_options: false,
            ..LEGACY_TOKENS
        },
        responses_api: false,
        local: true,
    },
    Preset {
        name: "openrouter",
        label: "OpenRouter",
        kind: ProviderKind::Openai,
        base_url: Some("https://openrouter.ai/api/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("OPENROUTER_API_KEY"),
        quirks: Quirks {
            token_limit: TokenLimitField::MaxTokens,
            ..REASONING
        },
        responses_api: false,
        local: false,
    },
    Preset {
        name: "deepseek",
        label: "DeepSeek",
        kind: ProviderKind::Openai,
        base_url: Some("https://api.deepseek.com/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("DEEPSEEK_API_KEY"),
        quirks: LEGACY_TOKENS,
        responses_api: false,
        local: false,
    },
    Preset {
        name: "groq",
        label: "Groq",
        kind: ProviderKind::Openai,
        base_url: Some("https://api.groq.com/openai/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("GROQ_API_KEY"),
        quirks: REASONING,
        responses_api: true,
        local: false,
    },
    Preset {
        name: "gemini",
        label: "Google Gemini (OpenAI endpoint)",
        kind: ProviderKind::Openai,
        base_url: Some("https://generativelanguage.googleapis.com/v1beta/openai"),
        auth: AuthStyle::Bearer,
        key_env: Some("GEMINI_API_KEY"),
        quirks: STANDARD,
        responses_api: false,
        local: false,
    },
    Preset {
        name: "together",
        label: "Together AI",
        kind: ProviderKind::Openai,
        base_url: Some("https://api.together.xyz/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("TOGETHER_API_KEY"),
        quirks: LEGACY_TOKENS,
        responses_api: false,
        local: false,
    },
    Preset {
        name: "mistral",
        label: "Mistral AI",
        kind: ProviderKind::Openai,
        base_url: Some("https://api.mistral.ai/v1"),
        auth: AuthStyle::Bearer,
        key_env: Some("MISTRAL_API_KEY"),
        // Mistral refuses request fields it does not know and always reports usage itself.
        quirks: Quirks {
            stream_options: false,
            ..LEGACY_TOKENS
        },
        responses_api: false,
        local: false,
    },
    Preset {
        name: "anthropic",
        label: "Anthropic",
        kind: ProviderKind::Anthropic,
        base_url: Some("https://api.anthropic.com/v1"),
        auth: AuthStyle::XApiKey,
        key_env: Some("ANTHROPIC_API_KEY"),
        quirks: STANDARD,
        responses_api: false,
        local: false,
    },
];

/// The preset called `name` (case-insensitive).
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Every preset name, for error messages.
pub fn names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_urls_parse() {
        let mut seen = std::collections::HashSet::new();
        for p in PRESETS {
            assert!(seen.insert(p.name), "duplicate preset {}", p.name);
            if let Some(url) = p.base_url {
                let u = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{}: {e}", p.name));
                assert!(!url.ends_with('/'), "{}: no trailing slash", p.name);
                assert!(matches!(u.scheme(), "http" | "https"));
                assert_eq!(
                    p.local,
                    u.host_str() == Some("127.0.0.1"),
                    "{}: local presets and only they point at this machine",
                    p.name
                );
            }
        }
        assert_eq!(PRESETS.len(), 15);
    }

    #[test]
    fn the_issue_s_presets_exist() {
        for name in [
            "openai",
            "azure",
            "ollama",
            "vllm",
            "lmstudio",
            "llamacpp",
            "jan",
            "localai",
            "openrouter",
            "deepseek",
            "groq",
            "gemini",
            "together",
            "mistral",
            "anthropic",
        ] {
            assert!(find(name).is_some(), "{name}");
        }
        assert_eq!(
            find("OpenRouter").map(|p| p.key_env),
            Some(Some("OPENROUTER_API_KEY"))
        );
    }
}
