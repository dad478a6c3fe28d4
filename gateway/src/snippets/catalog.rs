//! The tools, as data: where each one's settings live and what to put there. Sources and the reasons
//! behind each choice are in `shared/specs/client-configs.md` (section numbers in the comments).
//! Placeholders: `{base_url}` (with `/v1`), `{origin}` (without), `{port}`, `{api_key}`, `{model}`,
//! `{small_model}`, `{docker_base_url}`, `{openai_base_path}`, `{embed_model}`, `{autocomplete_model}`.

use super::{Block, Lang, Tool};

pub(super) const EDITORS: &str = "Editors and IDEs";
pub(super) const CHAT_APPS: &str = "Chat apps";
pub(super) const AGENTS: &str = "Coding agents and CLIs";
pub(super) const CODE: &str = "SDKs and libraries";
pub(super) const SHELL: &str = "Shell";

pub(super) const fn block(
    title: &'static str,
    lang: Lang,
    location: &'static str,
    template: &'static str,
) -> Block {
    Block {
        title,
        lang,
        location,
        template,
    }
}

pub(super) const fn tool(
    id: &'static str,
    label: &'static str,
    category: &'static str,
    summary: &'static str,
    blocks: &'static [Block],
    notes: &'static [&'static str],
) -> Tool {
    Tool {
        id,
        label,
        category,
        summary,
        blocks,
        notes,
        needs_public_url: false,
        optional: &[],
    }
}

/// Editors, IDEs and chat apps; the agents, CLIs, SDKs and shell are in `catalog_code.rs`.
pub const APPS: &[Tool] = &[
    // §1: Cursor's backend makes the request, so it needs a public HTTPS URL.
    Tool {
        needs_public_url: true,
        ..tool(
            "cursor",
            "Cursor",
            EDITORS,
            "chat models through Cursor's \"Override OpenAI Base URL\" (sent from Cursor's servers)",
            &[block(
                "Cursor Settings → Models → API Keys",
                Lang::Steps,
                "Cursor Settings → Models",
                r#"1. Turn on "OpenAI API Key" and paste: {api_key}
2. Turn on "Override OpenAI Base URL" and enter: {base_url}
3. "+ Add Custom Model" → {model} → turn its toggle on
4. Click "Verify", then pick {model} in Ask or Plan mode
"#,
            )],
            &[
                "Cursor calls the override URL from its own servers: a 127.0.0.1 address cannot work. Run a tunnel (cloudflared tunnel --url {origin}, or ngrok http {port}), create a gateway key first, and use the tunnel's https URL with /v1.",
                "The override is global: every OpenAI model in Cursor goes to it while it is on; turn off the built-in OpenAI models you do not want routed here.",
                "Tab completion never uses a custom key; Agent mode support varies with Cursor's version (its Responses-shaped bodies are translated by the gateway).",
            ],
        )
    },
    // §2: config.yaml is current; config.json is the deprecated format.
    Tool {
        optional: &["autocomplete_model", "embed_model"],
        ..tool(
            "continue",
            "Continue",
            EDITORS,
            "VS Code / JetBrains extension: chat, edit and apply (and optionally autocomplete and embeddings)",
            &[
                block(
                    "config.yaml",
                    Lang::Yaml,
                    "~/.continue/config.yaml (Windows: %USERPROFILE%\\.continue\\config.yaml)",
                    r#"name: Switchboard
version: 1.0.0
schema: v1
models:
  - name: "{model} (Switchboard)"
    provider: openai
    model: "{model}"
    apiBase: "{base_url}"
    apiKey: "{api_key}"
    roles: [chat, edit, apply, summarize]
    capabilities: [tool_use]
?autocomplete_model|  - name: "{autocomplete_model} (Switchboard autocomplete)"
?autocomplete_model|    provider: openai
?autocomplete_model|    model: "{autocomplete_model}"
?autocomplete_model|    apiBase: "{base_url}"
?autocomplete_model|    apiKey: "{api_key}"
?autocomplete_model|    roles: [autocomplete]
?embed_model|  - name: "{embed_model} (Switchboard embeddings)"
?embed_model|    provider: openai
?embed_model|    model: "{embed_model}"
?embed_model|    apiBase: "{base_url}"
?embed_model|    apiKey: "{api_key}"
?embed_model|    roles: [embed]
"#,
                ),
                block(
                    "config.json (legacy format)",
                    Lang::Json,
                    "~/.continue/config.json, only if you still use the deprecated JSON config",
                    r#"{
?autocomplete_model|  "tabAutocompleteModel": { "title": "{autocomplete_model} (Switchboard)", "provider": "openai", "model": "{autocomplete_model}", "apiBase": "{base_url}", "apiKey": "{api_key}" },
?embed_model|  "embeddingsProvider": { "provider": "openai", "model": "{embed_model}", "apiBase": "{base_url}", "apiKey": "{api_key}" },
  "models": [
    { "title": "{model} (Switchboard)", "provider": "openai", "model": "{model}", "apiBase": "{base_url}", "apiKey": "{api_key}" }
  ]
}
"#,
                ),
            ],
            &[
                "Open the file from Continue's config dropdown (the cog next to \"Local Config\"); Continue reloads it on save.",
                "Autocomplete posts to /v1/completions (legacy text completions) and needs a model trained for fill-in-the-middle; embeddings go to /v1/embeddings.",
                "Continue sends model names that look like gpt-5* or o1/o3 to /v1/responses, which Switchboard serves (translated for providers without it).",
            ],
        )
    },
    // §3a
    tool(
        "cline",
        "Cline",
        EDITORS,
        "VS Code extension, provider \"OpenAI Compatible\" (chat completions)",
        &[block(
            "Cline → Settings → API Provider",
            Lang::Steps,
            "Cline panel → ⚙ Settings",
            r#"API Provider: OpenAI Compatible
Base URL:     {base_url}
API Key:      {api_key}
Model ID:     {model}
"#,
        )],
        &[
            "The model dropdown is filled from {base_url}/models, so keep /v1 in the Base URL.",
            "Set the Context Window Size under Model Configuration to your model's real window; Cline's safe default can cut long contexts.",
        ],
    ),
    // §4: Custom Endpoint replaced customOAIModels / customoai.
    tool(
        "vscode-copilot",
        "VS Code Copilot (Custom Endpoint)",
        EDITORS,
        "GitHub Copilot Chat's bring-your-own-model Custom Endpoint (VS Code 1.122+)",
        &[
            block(
                "Add the endpoint",
                Lang::Steps,
                "Command Palette → Chat: Manage Language Models",
                r#"1. Command Palette → "Chat: Manage Language Models" → Add Models → Custom Endpoint
2. Name it "Switchboard", paste the key {api_key}, API type: Chat Completions
3. VS Code opens chatLanguageModels.json: make it look like the block below
"#,
            ),
            block(
                "chatLanguageModels.json",
                Lang::Json,
                "Linux ~/.config/Code/User/chatLanguageModels.json · macOS ~/Library/Application Support/Code/User/ · Windows %APPDATA%\\Code\\User\\",
                r#"[
  {
    "name": "Switchboard",
    "vendor": "customendpoint",
    "apiKey": "{api_key}",
    "apiType": "chat-completions",
    "models": [
      {
        "id": "{model}",
        "name": "{model} (Switchboard)",
        "url": "{base_url}/chat/completions",
        "toolCalling": true,
        "vision": false,
        "maxInputTokens": 128000,
        "maxOutputTokens": 16000
      }
    ]
  }
]
"#,
            ),
        ],
        &[
            "The model list is manual: add one entry per model.",
            "Keys entered through the UI go to VS Code's secret storage; a literal apiKey in the file works but is plain text.",
            "github.copilot.chat.customOAIModels and the customoai vendor are deprecated; Business/Enterprise admins must allow bring-your-own-key.",
        ],
    ),
    // §5
    tool(
        "open-webui",
        "Open WebUI",
        CHAT_APPS,
        "self-hosted chat UI in Docker, connected over the OpenAI API",
        &[
            block(
                "docker run (macOS, Windows: Docker Desktop)",
                Lang::Bash,
                "",
                r#"docker run -d -p 3000:8080 \
  -e OPENAI_API_BASE_URL={docker_base_url} \
  -e OPENAI_API_KEY={api_key} \
  -v open-webui:/app/backend/data --name open-webui --restart always \
  ghcr.io/open-webui/open-webui:main
# then open http://localhost:3000
"#,
            ),
            block(
                "docker run (Linux)",
                Lang::Bash,
                "",
                r#"docker run -d --network=host \
  -e OPENAI_API_BASE_URL={base_url} \
  -e OPENAI_API_KEY={api_key} \
  -v open-webui:/app/backend/data --name open-webui --restart always \
  ghcr.io/open-webui/open-webui:main
# then open http://localhost:8080
"#,
            ),
            block(
                "Or in Open WebUI's settings",
                Lang::Steps,
                "Admin Settings → Connections → OpenAI",
                r#"➕ Add Connection
URL:     {base_url}
API Key: {api_key}
"#,
            ),
        ],
        &[
            "Linux: Switchboard listens on 127.0.0.1, which a container on Docker's bridge network cannot reach (host.docker.internal is the bridge address there); --network=host shares the host's loopback, so the UI is on port 8080 and -p is ignored.",
            "The environment variables apply only on Open WebUI's first start (they are saved in its database): change the connection later in Admin Settings → Connections, or remove the open-webui volume.",
            "Keep /v1 and no trailing slash: Open WebUI lists models with GET {base_url}/models.",
        ],
    ),
    // §6
    tool(
        "librechat",
        "LibreChat",
        CHAT_APPS,
        "self-hosted chat UI, as a custom endpoint in librechat.yaml",
        &[
            block(
                "librechat.yaml",
                Lang::Yaml,
                "librechat.yaml next to LibreChat's .env (mounted with docker-compose.override.yml)",
                r#"version: 1.3.13
cache: true
endpoints:
  custom:
    - name: "Switchboard"
      apiKey: "${SWITCHBOARD_API_KEY}"
      baseURL: "{docker_base_url}"
      models:
        default: ["{model}"]
        fetch: true
      titleConvo: true
      titleModel: "current_model"
      modelDisplayLabel: "Switchboard"
"#,
            ),
            block(
                ".env",
                Lang::Bash,
                "LibreChat's .env",
                "SWITCHBOARD_API_KEY={api_key}\n",
            ),
            block(
                "docker-compose.override.yml",
                Lang::Yaml,
                "next to LibreChat's docker-compose.yml",
                r#"services:
  api:
    volumes:
      - type: bind
        source: ./librechat.yaml
        target: /app/librechat.yaml
"#,
            ),
        ],
        &[
            "Restart LibreChat after editing librechat.yaml (docker compose up -d).",
            "host.docker.internal is for LibreChat in Docker; a LibreChat installed without Docker uses {base_url}. On Linux, a gateway on 127.0.0.1 is not reachable from the bridge network: run the api service with network_mode: host and baseURL {base_url}.",
            "Use a variable name of your own such as SWITCHBOARD_API_KEY: OPENAI_* names change LibreChat's built-in OpenAI endpoint.",
        ],
    ),
    // §7
    tool(
        "zed",
        "Zed",
        EDITORS,
        "Zed's agent panel, an \"OpenAI API Compatible\" provider",
        &[
            block(
                "settings.json",
                Lang::Json,
                "~/.config/zed/settings.json (Windows: %APPDATA%\\Zed\\settings.json)",
                r#"{
  "language_models": {
    "openai_compatible": {
      "Switchboard": {
        "api_url": "{base_url}",
        "available_models": [
          {
            "name": "{model}",
            "display_name": "{model} (Switchboard)",
            "max_tokens": 128000,
            "capabilities": {
              "tools": true,
              "images": false,
              "parallel_tool_calls": false,
              "prompt_cache_key": false
            }
          }
        ]
      }
    }
  }
}
"#,
            ),
            block(
                "The key (environment, before starting Zed)",
                Lang::Bash,
                "",
                "export SWITCHBOARD_API_KEY={api_key}\n",
            ),
        ],
        &[
            "Zed refuses a provider without a key: set SWITCHBOARD_API_KEY (the provider name in upper snake case plus _API_KEY) or enter the key in the agent settings, which keep it in the OS keychain.",
            "Merge language_models into your existing settings.json; max_tokens is the context window.",
        ],
    ),
    // §8
    tool(
        "jetbrains",
        "JetBrains AI Assistant",
        EDITORS,
        "IntelliJ, PyCharm … AI Assistant with a third-party OpenAI-compatible provider",
        &[block(
            "Settings → Tools → AI Assistant → Providers & API keys",
            Lang::Steps,
            "Third-party AI providers → OpenAI-compatible",
            r#"Provider: OpenAI-compatible
URL:      {base_url}
API Key:  {api_key}
Tool calling: on
→ Test Connection → Apply, then pick {model} in the AI Chat model list
"#,
        )],
        &["Only chat completions are used; some features (code completion) stay on JetBrains' own service."],
    ),
];

/// Every tool, in the order the picker shows them.
pub fn all() -> impl Iterator<Item = &'static Tool> {
    APPS.iter().chain(super::catalog_code::CODE_TOOLS)
}
