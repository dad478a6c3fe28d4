//! The coding agents, CLIs, SDKs and shell snippets (the editors and chat apps are in `catalog.rs`).
//! Same placeholders and sources as there.

use super::catalog::{block, tool, AGENTS, CODE, SHELL};
use super::{Lang, Tool};

pub const CODE_TOOLS: &[Tool] = &[
    // §9: Responses API only; wire_api = "chat" is refused by current Codex.
    tool(
        "codex",
        "Codex CLI",
        AGENTS,
        "OpenAI's coding agent; speaks only the Responses API, which Switchboard serves at /v1/responses",
        &[
            block(
                "config.toml",
                Lang::Toml,
                "~/.codex/config.toml (Windows: %USERPROFILE%\\.codex\\config.toml)",
                r#"model = "{model}"
model_provider = "switchboard"

[model_providers.switchboard]
name = "Switchboard"
base_url = "{base_url}"
env_key = "SWITCHBOARD_API_KEY"
wire_api = "responses"
"#,
            ),
            block(
                "The key, then run",
                Lang::Bash,
                "",
                "export SWITCHBOARD_API_KEY={api_key}   # Windows: setx SWITCHBOARD_API_KEY {api_key}\ncodex\n",
            ),
        ],
        &[
            "Codex fails to start when the env_key variable is unset or empty, so export it in the shell that runs codex.",
            "wire_api = \"chat\" is no longer accepted by Codex; keep \"responses\". Do not name the provider openai, ollama or lmstudio (reserved).",
            "Codex warns that it has no metadata for unknown model names; that is harmless.",
        ],
    ),
    // §10: ANTHROPIC_BASE_URL is the origin; Claude Code adds /v1/messages.
    tool(
        "claude-code",
        "Claude Code",
        AGENTS,
        "Anthropic's coding agent; speaks the Messages API, which Switchboard serves at /v1/messages",
        &[
            block(
                "settings.json",
                Lang::Json,
                "~/.claude/settings.json (or .claude/settings.local.json in a project)",
                r#"{
  "env": {
    "ANTHROPIC_BASE_URL": "{origin}",
    "ANTHROPIC_AUTH_TOKEN": "{api_key}",
    "ANTHROPIC_MODEL": "{model}",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "{model}",
    "ANTHROPIC_DEFAULT_SONNET_MODEL": "{model}",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "{small_model}",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"
  }
}
"#,
            ),
            block(
                "Or for one shell",
                Lang::Bash,
                "",
                r#"export ANTHROPIC_BASE_URL={origin}
export ANTHROPIC_AUTH_TOKEN={api_key}
export ANTHROPIC_MODEL={model}
export ANTHROPIC_DEFAULT_HAIKU_MODEL={small_model}
claude
"#,
            ),
        ],
        &[
            "ANTHROPIC_BASE_URL has no /v1: Claude Code appends /v1/messages itself.",
            "Use ANTHROPIC_AUTH_TOKEN (sent as a bearer token) and not ANTHROPIC_API_KEY as well; a token is needed even when the gateway has no keys, or Claude Code starts its login flow.",
            "Background work uses the Haiku slot: point ANTHROPIC_DEFAULT_HAIKU_MODEL at a small, fast model. Set CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1 to list the gateway's models in /model.",
        ],
    ),
    // §11: the openai/ prefix makes LiteLLM use its OpenAI-compatible client.
    tool(
        "aider",
        "aider",
        AGENTS,
        "AI pair programming in the terminal (LiteLLM's OpenAI-compatible client)",
        &[
            block(
                "Shell",
                Lang::Bash,
                "",
                r#"export OPENAI_API_BASE={base_url}
export OPENAI_API_KEY={api_key}
aider --model openai/{model}
"#,
            ),
            block(
                ".aider.conf.yml",
                Lang::Yaml,
                "~/.aider.conf.yml, or in the repository root",
                r#"openai-api-base: "{base_url}"
openai-api-key: "{api_key}"
model: "openai/{model}"
"#,
            ),
        ],
        &[
            "Keep the openai/ prefix on the model: it tells aider to use the generic OpenAI-compatible client.",
            "aider warns about unknown context windows for custom models; --no-show-model-warnings silences it.",
        ],
    ),
    // §12
    tool(
        "llm",
        "llm CLI",
        AGENTS,
        "Simon Willison's llm command-line tool, as an extra OpenAI-compatible model",
        &[
            block(
                "extra-openai-models.yaml",
                Lang::Yaml,
                "the llm user directory: dirname \"$(llm logs path)\" (Linux ~/.config/io.datasette.llm/)",
                r#"- model_id: sb-{model}
  model_name: "{model}"
  api_base: "{base_url}"
  api_key_name: switchboard
  supports_tools: true
"#,
            ),
            block(
                "Store the key and try it",
                Lang::Bash,
                "",
                r#"llm keys set switchboard --value {api_key}
llm -m sb-{model} "Hello"
"#,
            ),
        ],
        &["api_base must include /v1: llm's OpenAI client appends /chat/completions to it."],
    ),
    // §14
    tool(
        "goose",
        "Goose",
        AGENTS,
        "the Goose agent's built-in OpenAI provider, pointed at the gateway",
        &[block(
            "Shell",
            Lang::Bash,
            "",
            r#"export GOOSE_PROVIDER=openai
export GOOSE_MODEL={model}
export OPENAI_HOST={origin}
export OPENAI_BASE_PATH={openai_base_path}
export OPENAI_API_KEY={api_key}
goose session
"#,
        )],
        &[
            "OPENAI_HOST is the origin without /v1; the path goes in OPENAI_BASE_PATH (a /v1 in both makes /v1/v1/chat/completions).",
            "The same values can be saved with goose configure → Configure Providers → OpenAI.",
        ],
    ),
    // §13
    tool(
        "python",
        "OpenAI Python SDK",
        CODE,
        "the official openai package (pip install openai)",
        &[block(
            "Python",
            Lang::Python,
            "",
            r#"from openai import OpenAI

client = OpenAI(base_url="{base_url}", api_key="{api_key}")
r = client.chat.completions.create(
    model="{model}",
    messages=[{"role": "user", "content": "Hello"}],
)
print(r.choices[0].message.content)
"#,
        )],
        &["The SDK refuses to start without a key; the environment variables OPENAI_BASE_URL and OPENAI_API_KEY work too."],
    ),
    tool(
        "node",
        "OpenAI Node SDK",
        CODE,
        "the official openai package for Node.js (npm install openai)",
        &[block(
            "JavaScript (ESM)",
            Lang::Javascript,
            "",
            r#"import OpenAI from "openai";

const client = new OpenAI({ baseURL: "{base_url}", apiKey: "{api_key}" });
const r = await client.chat.completions.create({
  model: "{model}",
  messages: [{ role: "user", content: "Hello" }],
});
console.log(r.choices[0].message.content);
"#,
        )],
        &["The option is baseURL (capital URL) in Node and base_url in Python; a key is required even when the gateway has none."],
    ),
    tool(
        "langchain",
        "LangChain",
        CODE,
        "ChatOpenAI from langchain-openai (pip install langchain-openai)",
        &[block(
            "Python",
            Lang::Python,
            "",
            r#"from langchain_openai import ChatOpenAI

llm = ChatOpenAI(
    model="{model}",
    base_url="{base_url}",
    api_key="{api_key}",
    use_responses_api=False,
)
print(llm.invoke("Hello").content)
"#,
        )],
        &[
            "use_responses_api=False pins chat completions; LangChain otherwise switches to the Responses API for some models and parameters.",
            "For embeddings: OpenAIEmbeddings(base_url=…, api_key=…, model=…, check_embedding_ctx_length=False).",
        ],
    ),
    tool(
        "llamaindex",
        "LlamaIndex",
        CODE,
        "OpenAILike (pip install llama-index-llms-openai-like)",
        &[block(
            "Python",
            Lang::Python,
            "",
            r#"from llama_index.llms.openai_like import OpenAILike

llm = OpenAILike(
    model="{model}",
    api_base="{base_url}",
    api_key="{api_key}",
    is_chat_model=True,
    is_function_calling_model=True,
    context_window=128000,
)
print(llm.complete("Hello"))
"#,
        )],
        &["is_chat_model=True matters: without it OpenAILike calls the legacy /v1/completions."],
    ),
    tool(
        "curl",
        "curl",
        SHELL,
        "the raw HTTP API",
        &[block(
            "Shell",
            Lang::Bash,
            "",
            r#"curl {base_url}/models -H "Authorization: Bearer {api_key}"
curl {base_url}/chat/completions \
  -H "Authorization: Bearer {api_key}" -H "Content-Type: application/json" \
  -d '{"model":"{model}","messages":[{"role":"user","content":"Hello"}]}'
"#,
        )],
        &["On Windows PowerShell use curl.exe and escape the quotes, or Invoke-RestMethod."],
    ),
    tool(
        "env",
        "Environment variables",
        SHELL,
        "the variables most OpenAI-compatible tools and SDKs read",
        &[block(
            "Shell",
            Lang::Bash,
            "~/.bashrc, ~/.zshrc, or a project's .env",
            r#"export OPENAI_BASE_URL={base_url}
export OPENAI_API_BASE={base_url}
export OPENAI_API_KEY={api_key}
export OPENAI_MODEL={model}
"#,
        )],
        &[
            "OPENAI_BASE_URL is what the official SDKs read; OPENAI_API_BASE is the older name aider and LangChain read.",
            "Set these for your tools, not in the shell that starts switchboard serve: the gateway reads OPENAI_API_BASE and OPENAI_API_KEY as an upstream provider, and would then call itself.",
            "Windows: setx OPENAI_BASE_URL {base_url} (and so on), then open a new terminal.",
        ],
    ),
];
